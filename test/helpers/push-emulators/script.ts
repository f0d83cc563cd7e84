/**
 * What a test can make an emulator do to the next requests, after they passed every check a real provider makes
 * (so a scripted failure never hides a malformed request):
 * - fail the next N requests with a given answer (a provider outage, a quota, an uninstalled app);
 * - hold the next N requests: the push reaches the device (the provider took it) but the answer waits until
 *   released, or forever if the sender dies: the "worker killed while holding a job" case.
 */
export interface ScriptedAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Hold {
  /** Resolves when a held request arrived. */
  arrived: Promise<void>;
  release(): void;
}

export class Script {
  private failures: { remaining: number; answer: ScriptedAnswer }[] = [];
  private holds: { remaining: number; arrive: () => void; released: Promise<void> }[] = [];

  failNext(count: number, answer: ScriptedAnswer): void {
    this.failures.push({ remaining: count, answer });
  }

  holdNext(count = 1): Hold {
    let arrive!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.push({ remaining: count, arrive, released });
    return { arrived, release };
  }

  /** Forgets every scripted failure not yet used (holds stay). */
  clearFailures(): void {
    this.failures = [];
  }

  /** The scripted failure for this request, if any (consumed). */
  nextFailure(): ScriptedAnswer | undefined {
    const next = this.failures[0];
    if (!next) return undefined;
    next.remaining -= 1;
    if (next.remaining <= 0) this.failures.shift();
    return next.answer;
  }

  /** A promise the answer must wait for, if this request is held (consumed). */
  nextHold(): Promise<void> | undefined {
    const next = this.holds[0];
    if (!next) return undefined;
    next.remaining -= 1;
    if (next.remaining <= 0) this.holds.shift();
    next.arrive();
    return next.released;
  }
}
