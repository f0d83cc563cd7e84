import type { Clock } from '../transaction/index.js';
import type { PbxTarget } from './settings.js';

/**
 * The PBX targets in the order to try them: the configured order, except that a target which failed recently (503,
 * no answer, transport error) goes to the back for `quarantineMs`, so that calls do not each wait for a dead PBX
 * before failing over. A quarantined target is still tried when every target is quarantined.
 */
export class PbxPool {
  private readonly failedUntil = new Map<PbxTarget, number>();

  constructor(
    private readonly targets: readonly PbxTarget[],
    private readonly quarantineMs: number,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.targets.length;
  }

  /** Every target, healthy ones first (each group in the configured order). */
  order(): PbxTarget[] {
    const now = this.clock.now();
    const healthy: PbxTarget[] = [];
    const quarantined: PbxTarget[] = [];
    for (const target of this.targets) {
      const until = this.failedUntil.get(target);
      if (until !== undefined && until > now) quarantined.push(target);
      else healthy.push(target);
    }
    return [...healthy, ...quarantined];
  }

  failed(target: PbxTarget): void {
    this.failedUntil.set(target, this.clock.now() + this.quarantineMs);
  }

  succeeded(target: PbxTarget): void {
    this.failedUntil.delete(target);
  }

  /** True while a target is quarantined. */
  isQuarantined(target: PbxTarget): boolean {
    return (this.failedUntil.get(target) ?? 0) > this.clock.now();
  }
}
