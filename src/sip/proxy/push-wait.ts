import type { Logger } from '../../log.js';
import type { PushJob } from '../../push/job.js';
import { createResponse, type SipRequest } from '../message/index.js';
import type { Clock, ServerTransaction, TimerHandle } from '../transaction/index.js';
import type { LiveContact, PushHook, WaitingRequest } from './contact-lookup.js';
import { PendingFork, type WakeSources } from './pending-fork.js';
import { pushTargetOf } from './push-jobs.js';
import type { PushWaitSettings } from './push-wait-config.js';

export interface PushWaitCounters {
  /** Requests waiting now. */
  pending: number;
  started: number;
  woken: number;
  answered: number;
  cancelled: number;
  timedOut: number;
  /** Ended because the caller's side of the transaction failed. */
  gone: number;
  /** Refused with 503 because `maxPending` were waiting. */
  overloaded: number;
  pushesQueued: number;
  pushesNotQueued: number;
}

export function zeroPushWaitCounters(): PushWaitCounters {
  return {
    pending: 0,
    started: 0,
    woken: 0,
    answered: 0,
    cancelled: 0,
    timedOut: 0,
    gone: 0,
    overloaded: 0,
    pushesQueued: 0,
    pushesNotQueued: 0,
  };
}

/**
 * The proxy core's push hook (issue 8): an INVITE or a new MESSAGE for a user whose only contacts sleep (push
 * parameters, no live flow here) waits for a device woken by a push instead of getting 480 (see PendingFork). The
 * number waiting is bounded (`maxPending`: beyond, 503 with Retry-After) and counted; the counters are logged every
 * `statsIntervalMs` while they change, and by the process at SIGTERM.
 */
export class PushWaits implements PushHook {
  private readonly pending = new Map<ServerTransaction, PendingFork>();
  readonly counters: PushWaitCounters = zeroPushWaitCounters();
  private statsTimer: TimerHandle | undefined;
  private lastLogged = '';

  constructor(
    private readonly settings: PushWaitSettings,
    private readonly sources: WakeSources,
    private readonly queue: (job: PushJob) => Promise<void>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.scheduleStats();
  }

  get size(): number {
    return this.pending.size;
  }

  noReachableContact(): void {
    // Requests that do not wait are answered 480 by the core; nothing to do for them.
  }

  shouldWait(_aor: string, request: SipRequest, contacts: readonly LiveContact[]): boolean {
    if (!this.settings.enabled) return false;
    if (request.method !== 'INVITE' && request.method !== 'MESSAGE') return false;
    // A request inside a dialog goes to the flow of that dialog; a push cannot restore it.
    if (request.to().tag !== undefined) return false;
    const purpose = request.method === 'MESSAGE' ? 'message' : 'call';
    return contacts.some((contact) => pushTargetOf(contact.uri, purpose).ok);
  }

  wait(waiting: WaitingRequest): void {
    const { transaction, request } = waiting;
    if (this.pending.size >= this.settings.maxPending) {
      this.counters.overloaded++;
      const retryAfter = this.settings.retryAfterS + Math.floor(Math.random() * (this.settings.retryAfterS / 2 + 1));
      transaction.respond(
        createResponse(request, 503, 'Too Many Waiting For Push', { headers: [['Retry-After', String(retryAfter)]] }),
      );
      return;
    }
    const fork = new PendingFork(waiting, {
      settings: this.settings,
      sources: this.sources,
      queue: this.queue,
      clock: this.clock,
      log: this.log,
      ended: (ended, how) => this.ended(transaction, ended, how),
      woken: () => this.counters.woken++,
      pushQueued: (ok) => (ok ? this.counters.pushesQueued++ : this.counters.pushesNotQueued++),
    });
    this.pending.set(transaction, fork);
    this.counters.started++;
    this.counters.pending = this.pending.size;
    fork.start().catch((error: unknown) => {
      this.log.error({ err: error, sip: { callId: fork.callId } }, 'a push wait threw (a bug)');
    });
  }

  cancel(invite: ServerTransaction): boolean {
    const fork = this.pending.get(invite);
    if (!fork) return false;
    fork.cancel();
    return true;
  }

  /** Stops the periodic log line (the waits themselves end with their transactions' process). */
  close(): void {
    this.statsTimer?.cancel();
  }

  private ended(transaction: ServerTransaction, fork: PendingFork, how: 'answered' | 'cancelled' | 'timeout' | 'gone') {
    if (this.pending.get(transaction) !== fork) return;
    this.pending.delete(transaction);
    this.counters.pending = this.pending.size;
    if (how === 'answered') this.counters.answered++;
    else if (how === 'cancelled') this.counters.cancelled++;
    else if (how === 'timeout') this.counters.timedOut++;
    else this.counters.gone++;
  }

  private scheduleStats(): void {
    this.statsTimer = this.clock.setTimer(this.settings.statsIntervalMs, () => {
      const line = JSON.stringify(this.counters);
      if (line !== this.lastLogged) {
        this.lastLogged = line;
        this.log.info({ pushWait: { ...this.counters } }, `push waits: ${this.counters.pending} pending`);
      }
      this.scheduleStats();
    });
  }
}
