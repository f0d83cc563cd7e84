import { percentile } from './measure.js';
import { registerRequest, TlsSipFlow, type TlsTarget } from './sip-tls-client.js';

/*
 * The TLS load generator of the sip-register benchmark, in a child process of its own (started with fork(), jobs
 * and results over the IPC channel) so that the CPU it spends on TLS is not the proxy's and is measured apart.
 * Closed loop: every flow (or worker) sends its next REGISTER when the previous one was answered, so the rate is
 * what the proxy (or this process) can do; the parent is told when the measured window starts.
 *
 * - persistent: C connections each register once, then REGISTER refreshes on them, one outstanding per connection,
 *   for distinct users (connection c: users c, c+C, c+2C, ... of the set).
 * - reconnect: W workers each open a new connection with the session ticket of their previous one (TLS
 *   resumption), send one REGISTER, and close it when the 200 is back.
 * - hold: N connections (full handshakes, C at a time) each register a distinct user and stay open, until told
 *   `release`.
 */

export type LoadJob =
  | { kind: 'persistent'; target: TlsTarget; connections: number; warmSeconds: number; seconds: number; users: number }
  | { kind: 'reconnect'; target: TlsTarget; workers: number; warmSeconds: number; seconds: number; users: number }
  | { kind: 'hold'; target: TlsTarget; flows: number; concurrency: number }
  | { kind: 'release' };

export interface LoadResult {
  /** REGISTERs answered 200 within the measured window (connections, for reconnect). */
  ok: number;
  /** Not answered 200 within 4 s (or the connection failed) in the window. */
  failed: number;
  seconds: number;
  /** Of the request (reconnect: of connect + handshake + REGISTER), ms. */
  p50Ms: number | undefined;
  p95Ms: number | undefined;
  /** Distinct users answered 200 over the whole job (warm-up included): the bindings Redis must hold. */
  users: number;
  /** Reconnect: the connections whose handshake resumed a session. */
  resumed: number;
  /** The first error seen, for the report. */
  error?: string;
}

export type LoadMessage =
  | { event: 'window' }
  | { event: 'done'; result: LoadResult }
  | { event: 'released' }
  | { event: 'error'; message: string };

const send = (message: LoadMessage) => process.send!(message);

/** Counts what completes inside the measured window. */
class Window {
  startedAt = Infinity;
  endsAt = Infinity;
  ok = 0;
  failed = 0;
  resumed = 0;
  readonly latencies: number[] = [];
  readonly users = new Set<number>();
  error: string | undefined;

  open(seconds: number): void {
    this.startedAt = performance.now();
    this.endsAt = this.startedAt + seconds * 1000;
    send({ event: 'window' });
  }

  get over(): boolean {
    return performance.now() >= this.endsAt;
  }

  record(started: number, outcome: number | Error, user: number, resumed = false): void {
    if (outcome === 200) this.users.add(user);
    const now = performance.now();
    // Throughput is what completes inside the window, whenever it started.
    if (now < this.startedAt || now > this.endsAt) return;
    if (outcome === 200) {
      this.ok++;
      if (resumed) this.resumed++;
      this.latencies.push(now - started);
    } else {
      this.failed++;
      this.error ??= outcome instanceof Error ? outcome.message : `answered ${outcome}`;
    }
  }

  result(): LoadResult {
    return {
      ok: this.ok,
      failed: this.failed,
      seconds: (Math.min(performance.now(), this.endsAt) - this.startedAt) / 1000,
      p50Ms: percentile(this.latencies, 0.5),
      p95Ms: percentile(this.latencies, 0.95),
      users: this.users.size,
      resumed: this.resumed,
      ...(this.error ? { error: this.error } : {}),
    };
  }
}

const outcomeOf = (promise: Promise<number>) => promise.catch((error: unknown) => error as Error);

/** Runs `task(i)` for i in 0..count-1, `concurrency` at a time. */
async function pool<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(count, concurrency) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}

async function openRegistered(target: TlsTarget, user: number, window: Window): Promise<TlsSipFlow> {
  const flow = await TlsSipFlow.open(target);
  const outcome = await outcomeOf(flow.request(registerRequest(user, flow.local), 30_000));
  window.record(-Infinity, outcome, user);
  if (outcome !== 200) throw new Error(`user ${user}: the first REGISTER got ${String(outcome)}`);
  return flow;
}

async function persistent(job: Extract<LoadJob, { kind: 'persistent' }>): Promise<LoadResult> {
  const window = new Window();
  const flows = await pool(job.connections, 50, (c) => openRegistered(job.target, c + 1, window));
  setTimeout(() => window.open(job.seconds), job.warmSeconds * 1000);
  await Promise.all(
    flows.map(async (flow, c) => {
      for (let k = 1; !window.over && !flow.socket.destroyed; k++) {
        const user = ((c + k * job.connections) % job.users) + 1;
        const started = performance.now();
        window.record(started, await outcomeOf(flow.request(registerRequest(user, flow.local, k + 1))), user);
      }
    }),
  );
  flows.forEach((flow) => flow.close());
  return window.result();
}

async function reconnect(job: Extract<LoadJob, { kind: 'reconnect' }>): Promise<LoadResult> {
  const window = new Window();
  // Every worker starts with a full handshake, for a first session ticket.
  const first = await pool(job.workers, 50, (w) => openRegistered(job.target, w + 1, window));
  setTimeout(() => window.open(job.seconds), job.warmSeconds * 1000);
  await Promise.all(
    first.map(async (flow, w) => {
      let session = flow.session;
      flow.close();
      for (let k = 1; !window.over; k++) {
        const user = ((w + k * job.workers) % job.users) + 1;
        const started = performance.now();
        let outcome: number | Error;
        let resumed = false;
        try {
          const next = await TlsSipFlow.open(job.target, session, 4_000);
          resumed = next.resumed;
          outcome = await outcomeOf(next.request(registerRequest(user, next.local)));
          session = next.session ?? session;
          next.close();
        } catch (error) {
          outcome = error as Error;
        }
        window.record(started, outcome, user, resumed);
      }
    }),
  );
  return window.result();
}

let held: TlsSipFlow[] = [];

async function hold(job: Extract<LoadJob, { kind: 'hold' }>): Promise<LoadResult> {
  const window = new Window();
  window.startedAt = performance.now();
  let failed = 0;
  let error: string | undefined;
  const flows = await pool(job.flows, job.concurrency, async (i) => {
    const started = performance.now();
    try {
      const flow = await TlsSipFlow.open(job.target);
      const outcome = await outcomeOf(flow.request(registerRequest(i + 1, flow.local), 30_000));
      window.record(started, outcome, i + 1);
      return flow;
    } catch (caught) {
      failed++;
      error ??= (caught as Error).message;
      return undefined;
    }
  });
  held = flows.filter((flow): flow is TlsSipFlow => flow !== undefined);
  const result = window.result();
  return { ...result, failed: result.failed + failed, ...(error ? { error } : {}) };
}

process.on('message', (job: LoadJob) => {
  const work =
    job.kind === 'persistent'
      ? persistent(job)
      : job.kind === 'reconnect'
        ? reconnect(job)
        : job.kind === 'hold'
          ? hold(job)
          : undefined;
  if (work === undefined) {
    held.forEach((flow) => flow.close());
    held = [];
    send({ event: 'released' });
    return;
  }
  work.then(
    (result) => send({ event: 'done', result }),
    (error: unknown) => send({ event: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});

// The parent went away (it ended, or failed): nothing is left to do here.
process.on('disconnect', () => process.exit(0));
