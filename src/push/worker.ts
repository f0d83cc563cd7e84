import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { PushConfig } from './config.js';
import { abortableSleep, deliver, type DeliverDeps } from './deliver.js';
import { parseJobEntry, type PushJob } from './job.js';
import type { PushKeys } from './keys.js';
import type { PushMetrics } from './metrics.js';
import { recordOutcome, type PushOutcome } from './outcome.js';
import type { PushProvider } from './provider.js';
import { PendingJobs } from './pending-jobs.js';
import { ensureGroup } from './queue.js';
import { streamsOf } from './stream-reply.js';

export interface PushWorkerOptions {
  /** The worker's command connection to the data Redis; it opens a second one of its own for blocking reads. */
  redis: Redis;
  keys: PushKeys;
  queue: PushConfig['queue'];
  retry: PushConfig['retry'];
  invalidTokenTtlS: number;
  /** This worker's consumer name in the group: unique per process (node, pid, random). */
  consumer: string;
  providers: { fcm?: PushProvider; apns?: PushProvider };
  log: Logger;
  metrics?: PushMetrics;
  now?: () => number;
}

/** One blocking read waits at most this long, so a lost connection is noticed and the loop re-checks `running`. */
const BLOCK_MS = 5000;
/** A consumer with nothing pending and idle this long is a dead worker's leftover: removed from the group. */
const DEAD_CONSUMER_IDLE_MS = 3_600_000;

type Held = { promise: Promise<void>; abort: AbortController };

/**
 * A push worker: takes jobs from the stream with XREADGROUP BLOCK (pushed to it by Redis, never polled), handles
 * up to `concurrency` at once, and acknowledges each only after its outcome is recorded (outcome.ts), so a job
 * is never lost: until then it sits in this consumer's pending list.
 *
 * Crash safety is the visibility timeout: every third of it the worker re-claims the jobs it still holds
 * (XCLAIM to itself, which resets their idle time) and takes over jobs idle for longer than the whole timeout
 * (XAUTOCLAIM): those belong to a worker that died or froze. Delivery is therefore at least once: a worker killed
 * after the provider accepted a push but before recording it leaves the job to be sent again, and a worker
 * frozen past the timeout may send a job another worker sends too (its late outcome is then ignored).
 */
export class PushWorker {
  private readonly blocking: Redis;
  private readonly held = new Map<string, Held>();
  /** Held jobs whose outcome is being recorded: their acknowledgement may already have left the pending list. */
  private readonly finishing = new Set<string>();
  private running = false;
  private readLoopDone: Promise<void> = Promise.resolve();
  private sweepTimer: NodeJS.Timeout | undefined;
  private slotWaiters: (() => void)[] = [];
  private lastConsumerCleanup = 0;
  private readonly deps: DeliverDeps;
  private readonly pending: PendingJobs;

  constructor(private readonly options: PushWorkerOptions) {
    this.blocking = options.redis.duplicate();
    this.blocking.on('error', () => undefined); // failures surface where the read is made
    this.pending = new PendingJobs(options.redis, options.keys, options.queue.group, options.consumer);
    this.deps = {
      provider: (name) => options.providers[name],
      retry: options.retry,
      now: () => this.now(),
      sleep: abortableSleep,
      onAttempt: (provider, result) => options.metrics?.attempt(provider, result),
    };
  }

  get consumer(): string {
    return this.options.consumer;
  }

  /** How many jobs this worker holds right now. */
  get holding(): number {
    return this.held.size;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async start(): Promise<void> {
    await ensureGroup(this.options.redis, this.options.keys, this.options.queue.group);
    this.running = true;
    this.readLoopDone = this.readLoop();
    this.scheduleSweep(0); // jobs left by a dead worker are taken at once, not one interval later
    this.options.log.info(
      { consumer: this.consumer, group: this.options.queue.group, stream: this.options.keys.jobs },
      `push worker ${this.consumer} reading ${this.options.keys.jobs}`,
    );
  }

  /**
   * Stops taking jobs, lets those held finish for up to `graceMs`, then abandons the rest between attempts: they
   * stay pending and another worker takes them after the visibility timeout.
   */
  async stop(graceMs = 5000): Promise<void> {
    this.running = false;
    clearTimeout(this.sweepTimer);
    this.blocking.disconnect();
    for (const wake of this.slotWaiters.splice(0)) wake();
    await this.readLoopDone;
    const all = () => Promise.allSettled([...this.held.values()].map((held) => held.promise));
    const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([all(), timer]);
    for (const held of this.held.values()) held.abort.abort();
    await all();
  }

  private async readLoop(): Promise<void> {
    const { keys, queue } = this.options;
    while (this.running) {
      await this.freeSlot();
      if (!this.running) break;
      let reply: unknown;
      try {
        reply = await this.blocking.call(
          'XREADGROUP',
          'GROUP',
          queue.group,
          this.consumer,
          'COUNT',
          queue.concurrency - this.held.size,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          keys.jobs,
          '>',
        );
      } catch (error) {
        if (!this.running) break;
        this.options.log.warn({ err: error }, 'reading push jobs failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, 500)); // a pause before reconnecting, not a poll
        if (/NOGROUP/.test((error as Error).message))
          await ensureGroup(this.options.redis, keys, queue.group).catch(() => undefined);
        continue;
      }
      for (const [, entries] of streamsOf(reply)) {
        for (const [entryId, fields] of entries) this.take(entryId, fields, 1);
      }
    }
  }

  /** Resolves once this worker may hold one more job (or is stopping). */
  private freeSlot(): Promise<void> {
    if (this.held.size < this.options.queue.concurrency || !this.running) return Promise.resolve();
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private take(entryId: string, fields: string[] | null, deliveries: number): void {
    // A job claimed while stopping stays pending: another worker takes it after the visibility timeout.
    if (this.held.has(entryId) || !this.running) return;
    const abort = new AbortController();
    const promise = this.handle(entryId, fields, deliveries, abort.signal)
      .catch((error: unknown) => this.options.log.error({ err: error, entryId }, 'push job handling failed (a bug)'))
      .finally(() => {
        this.held.delete(entryId);
        this.finishing.delete(entryId);
        this.options.metrics?.inFlight.set(this.held.size);
        this.slotWaiters.shift()?.();
      });
    this.held.set(entryId, { promise, abort });
    this.options.metrics?.inFlight.set(this.held.size);
  }

  private async handle(
    entryId: string,
    fields: string[] | null,
    deliveries: number,
    signal: AbortSignal,
  ): Promise<void> {
    const parsed = parseJobEntry(fields);
    if (!parsed.ok) {
      this.options.log.warn({ entryId, problem: parsed.error }, `push job ${entryId} is malformed: failed`);
      await this.finish(entryId, undefined, {
        id: parsed.id ?? `entry-${entryId}`,
        state: 'failed',
        reason: 'malformed-job',
        provider: 'unknown',
        answer: parsed.error,
        attempts: 0,
        queuedAt: 0,
        finishedAt: this.now(),
        worker: this.consumer,
      });
      return;
    }
    const job = parsed.job;
    const base = { id: job.id, provider: job.target.provider, queuedAt: job.queuedAt, worker: this.consumer };
    if (deliveries > this.options.queue.maxDeliveries) {
      const answer = `taken ${deliveries} times: its workers kept dying or freezing`;
      await this.finish(entryId, job, {
        ...base,
        state: 'failed',
        reason: 'too-many-deliveries',
        answer,
        attempts: 0,
        finishedAt: this.now(),
      });
      return;
    }
    const ending = await deliver(job, this.deps, signal);
    if (ending === 'abandoned') return;
    await this.finish(entryId, job, { ...base, ...ending });
  }

  /** Records the outcome, retrying briefly if Redis fails: an unrecorded job would be sent again by another worker. */
  private async finish(entryId: string, job: PushJob | undefined, outcome: PushOutcome): Promise<void> {
    const { redis, keys, queue } = this.options;
    const settings = { ...queue, invalidTokenTtlS: this.options.invalidTokenTtlS };
    this.finishing.add(entryId);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const recorded = await recordOutcome(redis, keys, settings, entryId, job, outcome);
        const log = this.options.log;
        const fields = {
          job: outcome.id,
          aor: job?.aor,
          state: outcome.state,
          reason: outcome.reason,
          attempts: outcome.attempts,
          answer: outcome.answer,
        };
        if (recorded === 'duplicate') log.warn(fields, `push ${outcome.id}: another worker recorded its outcome first`);
        else if (outcome.state === 'delivered') log.info(fields, `push ${outcome.id} delivered to ${outcome.provider}`);
        else
          log.warn(
            fields,
            `push ${outcome.id} ${outcome.state}${outcome.reason ? ` (${outcome.reason})` : ''}: ${outcome.answer}`,
          );
        if (recorded === 'recorded') this.options.metrics?.outcome(outcome);
        return;
      } catch (error) {
        if (attempt >= 5 || !this.running) {
          this.options.log.error(
            { err: error, job: outcome.id },
            `push ${outcome.id}: outcome not recorded; the job stays pending`,
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  private scheduleSweep(delayMs: number): void {
    if (!this.running) return;
    this.sweepTimer = setTimeout(() => {
      this.sweep()
        .catch((error: unknown) => this.options.log.warn({ err: error }, 'push queue sweep failed'))
        .finally(() => this.scheduleSweep(Math.floor(this.options.queue.visibilityTimeoutMs / 3)));
    }, delayMs);
  }

  /** Extends the jobs held, takes over those a dead worker held, and forgets long-dead consumers. */
  private async sweep(): Promise<void> {
    await this.extendHeld();
    await this.claimAbandoned();
    if (this.now() - this.lastConsumerCleanup > DEAD_CONSUMER_IDLE_MS / 4) {
      this.lastConsumerCleanup = this.now();
      const forgotten = await this.pending.forgetIdleConsumers(DEAD_CONSUMER_IDLE_MS);
      if (forgotten.length > 0)
        this.options.log.info({ consumers: forgotten }, 'forgot idle consumers of dead workers');
    }
  }

  private async extendHeld(): Promise<void> {
    const held = [...this.held.keys()];
    if (held.length === 0) return;
    const ours = await this.pending.stillOurs(held);
    const lost = held.filter((id) => !ours.has(id) && !this.finishing.has(id));
    if (lost.length > 0) {
      this.options.log.warn(
        { entries: lost },
        'jobs this worker holds were taken over (it froze?); both may send them',
      );
    }
    await this.pending.extend(held.filter((id) => ours.has(id)));
  }

  private async claimAbandoned(): Promise<void> {
    let cursor = '0-0';
    do {
      const free = this.options.queue.concurrency - this.held.size;
      if (free <= 0 || !this.running) return;
      const { next, jobs } = await this.pending.claimIdle(this.options.queue.visibilityTimeoutMs, free, cursor);
      for (const { entryId, fields, deliveries } of jobs) {
        this.options.log.info(
          { entryId, deliveries },
          `took over push job ${entryId} from a worker that stopped extending it`,
        );
        this.take(entryId, fields, deliveries);
      }
      cursor = next;
    } while (cursor !== '0-0');
  }
}
