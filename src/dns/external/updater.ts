import { performance } from 'node:perf_hooks';
import type { Logger } from '../../log.js';
import type { UpdateFailure } from './answer-code.js';
import { backoffDelay } from './backoff.js';
import { compareAndSwap, type RoundOutcome, type UpdaterDeps } from './compare-and-swap.js';
import type { ExternalDnsConfig } from './config.js';
import { runNsupdate } from './nsupdate.js';
import { readNameRecords } from './query.js';
import {
  InvalidRecordsError,
  describeRecords,
  normalizeDesired,
  sameRecords,
  toDesired,
  type DesiredRecords,
  type NameRecords,
} from './records.js';
import type { ExternalUpdateStatus } from './status.js';

export type { UpdaterDeps } from './compare-and-swap.js';

/** The desired set the worker goes after; a new one (even with the same records) gets a new version. */
interface Target {
  records: NameRecords;
  term: number;
  version: number;
  since: string;
}

/**
 * After a prerequisite failure the records are read again and the update retried at once, this many times in a
 * row; someone who keeps changing them then meets the normal backoff.
 */
const IMMEDIATE_CONFLICT_RETRIES = 2;
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * Keeps the service name's A/AAAA records on an external authoritative server equal to the leader's desired set,
 * with RFC 2136 updates signed with TSIG (nsupdate).
 *
 * `sync` never blocks: it only remembers the newest desired set. One worker applies it, so there are never two
 * nsupdates at once and a burst of sets costs one update (only the newest matters). Each update is a
 * compare-and-swap on what we believe the server holds: the records we last wrote, or read when we do not know
 * (at start, after any failure, every verifyIntervalMs). A failed prerequisite means someone else changed them:
 * we read again and retry. Other failures are retried with exponential backoff up to a cap, forever; a new
 * desired set cuts the wait short. Failures never throw: they are logged and shown by `status()`.
 */
export class ExternalZoneUpdater {
  private readonly log: Logger;
  private readonly deps: UpdaterDeps;
  private readonly abort = new AbortController();
  private readonly worker: Promise<void>;
  private target: Target | undefined;
  private versions = 0;
  private appliedVersion = 0;
  private highestTerm = Number.NEGATIVE_INFINITY;
  /** What we believe the server holds at the target's name; undefined = read it before updating. */
  private known: NameRecords | undefined;
  /** The set the server was last seen holding in sync. */
  private published: NameRecords | undefined;
  /** The server should be read back: the verify interval passed, or the last check failed. */
  private unverified = false;
  private retryAt = 0;
  private verifyAt = Number.POSITIVE_INFINITY;
  private busy = false;
  private invalid = false;
  private closed = false;
  private wakeUp: (() => void) | undefined;
  private lastSuccess: ExternalUpdateStatus['lastSuccess'];
  private lastFailure: ExternalUpdateStatus['lastFailure'];
  private consecutiveFailures = 0;
  private conflictsInRow = 0;
  private conflicts = 0;

  constructor(
    private readonly config: ExternalDnsConfig,
    log: Logger,
    deps: Partial<UpdaterDeps> = {},
  ) {
    this.log = log.child({ component: 'dns-external', server: `${config.server}:${config.port}`, zone: config.zone });
    this.deps = { nsupdate: deps.nsupdate ?? runNsupdate, readRecords: deps.readRecords ?? readNameRecords };
    this.worker = this.run();
  }

  /** Remembers `desired` as the set to publish for `term`; a term older than one already seen is ignored. */
  sync(desired: DesiredRecords, term: number): void {
    if (this.closed) {
      this.log.warn({ term }, 'record set ignored: the external DNS updater is closed');
      return;
    }
    if (!Number.isSafeInteger(term) || term < this.highestTerm) {
      this.log.warn({ term, highestTerm: this.highestTerm }, `record set of term ${term} ignored: not the newest term`);
      return;
    }
    this.highestTerm = term;
    let records: NameRecords;
    try {
      records = normalizeDesired(desired, this.config.zone);
    } catch (error) {
      if (!(error instanceof InvalidRecordsError)) throw error;
      // Publishing an older set instead would be wrong too: stop until a valid one comes.
      this.target = undefined;
      this.invalid = true;
      this.fail(term, { kind: 'invalid', reason: error.message }, undefined);
      this.log.error({ term }, `record set of term ${term} not published: ${error.message}`);
      return;
    }
    const current = this.target;
    if (current && current.term === term && sameRecords(current.records, records)) return;
    this.invalid = false;
    if (current?.records.name !== records.name) this.known = undefined;
    this.target = { records, term, version: ++this.versions, since: new Date().toISOString() };
    // A new set is worth an attempt now, whatever the backoff says; the failure count keeps growing if it fails.
    this.retryAt = 0;
    this.conflictsInRow = 0;
    this.wakeUp?.();
  }

  status(): ExternalUpdateStatus {
    const target = this.target;
    const pending = target !== undefined && target.version !== this.appliedVersion;
    const due = pending || this.unverified;
    const state = this.closed
      ? 'closed'
      : this.busy
        ? 'updating'
        : this.invalid
          ? 'invalid'
          : !target
            ? 'idle'
            : due && this.retryAt > performance.now()
              ? 'retrying'
              : pending
                ? 'pending'
                : 'in-sync';
    return {
      server: `${this.config.server}:${this.config.port}`,
      zone: this.config.zone,
      state,
      pending: pending ? { term: target.term, records: toDesired(target.records), since: target.since } : undefined,
      lastSuccess: this.lastSuccess && { ...this.lastSuccess },
      lastFailure: this.lastFailure && { ...this.lastFailure },
      consecutiveFailures: this.consecutiveFailures,
      conflicts: this.conflicts,
    };
  }

  /** Stops the worker; a running nsupdate or query is cut short. */
  async close(): Promise<void> {
    if (this.closed) return this.worker;
    this.closed = true;
    this.abort.abort();
    this.wakeUp?.();
    await this.worker;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        const target = this.target;
        const now = performance.now();
        if (target && this.verifyAt <= now && target.version === this.appliedVersion && !this.unverified) {
          this.unverified = true;
          this.known = undefined;
        }
        const due = target !== undefined && (target.version !== this.appliedVersion || this.unverified);
        if (target && due && this.retryAt <= now) {
          await this.attempt(target);
          continue;
        }
        const wakeAt = due ? this.retryAt : target ? this.verifyAt : Number.POSITIVE_INFINITY;
        await this.pause(wakeAt - now);
      } catch (error) {
        // A bug, not a DNS failure: log it with its stack and go on after a pause, never kill the process.
        this.log.error({ err: error }, 'unexpected error in the external DNS updater, please report it as a bug');
        this.retryAt = performance.now() + this.config.backoff.maxMs;
      }
    }
  }

  private async attempt(target: Target): Promise<void> {
    this.busy = true;
    let outcome: RoundOutcome;
    try {
      outcome = await compareAndSwap({
        config: this.config,
        deps: this.deps,
        log: this.log,
        signal: this.abort.signal,
        desired: target.records,
        term: target.term,
        known: this.known,
        published: this.published,
      });
    } finally {
      this.busy = false;
    }
    if (this.closed) return;
    this.known = outcome.known;
    if (outcome.ok) this.succeed(target, outcome.changed);
    else this.fail(target.term, outcome.failure, target);
  }

  private succeed(target: Target, changed: boolean): void {
    const recovered = this.consecutiveFailures > 0;
    this.appliedVersion = target.version;
    this.unverified = false;
    this.consecutiveFailures = 0;
    this.conflictsInRow = 0;
    this.retryAt = 0;
    this.verifyAt = performance.now() + Math.min(this.config.verifyIntervalMs, LONGEST_TIMER_MS);
    if (this.lastFailure) delete this.lastFailure.nextRetryAt;
    this.published = target.records;
    this.lastSuccess = { at: new Date().toISOString(), term: target.term, records: toDesired(target.records), changed };
    const what = describeRecords(target.records);
    if (changed) this.log.info({ term: target.term }, `updated the external DNS server: ${what} (term ${target.term})`);
    else if (recovered) this.log.info({ term: target.term }, `the external DNS server already holds ${what}`);
    else this.log.debug({ term: target.term }, `the external DNS server holds ${what}`);
  }

  private fail(term: number, failure: UpdateFailure, target: Target | undefined): void {
    const retried = target !== undefined;
    let delayMs = 0;
    if (retried) {
      this.consecutiveFailures += 1;
      if (failure.kind === 'prerequisite') {
        this.conflicts += 1;
        this.conflictsInRow += 1;
      }
      const immediate = failure.kind === 'prerequisite' && this.conflictsInRow <= IMMEDIATE_CONFLICT_RETRIES;
      delayMs = immediate ? 0 : backoffDelay(this.consecutiveFailures, this.config.backoff);
      this.retryAt = performance.now() + delayMs;
      if (target.version === this.appliedVersion) this.unverified = true;
    }
    const nextRetryAt = retried ? new Date(Date.now() + delayMs).toISOString() : undefined;
    this.lastFailure = {
      at: new Date().toISOString(),
      term,
      kind: failure.kind,
      reason: failure.reason,
      ...(failure.rcode ? { rcode: failure.rcode } : {}),
      ...(failure.tsigError ? { tsigError: failure.tsigError } : {}),
      ...(nextRetryAt ? { nextRetryAt } : {}),
    };
    if (retried && failure.kind !== 'prerequisite') {
      this.log.warn(
        { term, kind: failure.kind, rcode: failure.rcode, failures: this.consecutiveFailures, retryInMs: delayMs },
        `external DNS update failed: ${failure.reason}; retrying in ${delayMs} ms`,
      );
    }
  }

  /** Waits `ms` or until woken by a new set or by close(). */
  private pause(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      if (Number.isFinite(ms)) timer = setTimeout(done, Math.max(0, Math.min(ms, LONGEST_TIMER_MS)));
      this.wakeUp = done;
    });
  }
}
