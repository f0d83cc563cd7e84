import type { Logger } from '../../log.js';
import type { PushJob } from '../../push/job.js';
import type { PushTarget } from '../../push/push-target.js';
import { createResponse, newTag, type SipResponse } from '../message/index.js';
import type { Clock, TimerHandle } from '../transaction/index.js';
import type { BranchTarget } from './branch-target.js';
import type { Upstream, WaitingRequest } from './contact-lookup.js';
import { cancelJobFor, cancelTargetOf, jobFor, pushTargetOf } from './push-jobs.js';
import type { PushWaitSettings } from './push-wait-config.js';
import { keyOf, signatureOf, WokenBranch, type WakeContact } from './woken-branch.js';

export type { WakeContact } from './woken-branch.js';

/** The registrar side a wait needs: bindings of an AOR, and the AOR channel (registration-events.ts). */
export interface WakeSources {
  lookup(aor: string): Promise<readonly WakeContact[]>;
  onRegistered(aor: string, listener: (field: string) => void): { ready: Promise<void>; close(): void };
}

export interface PendingForkServices {
  readonly settings: PushWaitSettings;
  readonly sources: WakeSources;
  queue(job: PushJob): Promise<void>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Called once, when the wait ended (answered, cancelled, timed out). */
  ended(fork: PendingFork, how: 'answered' | 'cancelled' | 'timeout' | 'gone'): void;
  woken(): void;
  pushQueued(ok: boolean): void;
}

/**
 * Statuses that do not end a wait while a push is pending: the branch's flow failed (a transport error, which the
 * response context turns into 503 and then 500), it timed out, or the device was not there. The device may still
 * register again on a new flow (Flexisip issue #59: a 503 right after the push; #257: the INVITE lost on a flow the
 * device has already left).
 */
const NOT_FINAL_WHILE_WAITING = new Set([408, 480, 500, 503]);

/**
 * An INVITE or MESSAGE waiting for a device woken by a push (fork-late, Flexisip's fork-manager): it subscribes to
 * the AOR's channel before queuing the pushes (so no wake-up is missed), tells the caller `110 Push sent` once (and
 * `180 Ringing` for an alert-style push), and on each publish re-reads the bindings and forwards to every device
 * whose registration is new (matched by its +sip.instance: a re-REGISTER on another connection supersedes the branch
 * still pending on the old one, and the same registration heard twice never gets a second INVITE). It ends at the first 2xx, at a final answer from a
 * device, at the caller's CANCEL (487) or at the timeout (480).
 */
export class PendingFork {
  private readonly branches = new Map<string, WokenBranch>();
  /** The registrations seen when the request arrived: publishing these again is not a wake-up. */
  private readonly asleep = new Map<string, string>();
  /** Devices (binding keys) a push was queued for, with the contact it went to. */
  private readonly pushed = new Map<string, WakeContact>();
  private timer: TimerHandle | undefined;
  private subscription: { close(): void } | undefined;
  private finished = false;
  /** What the caller was told by this proxy itself (each once), under one To tag of ours. */
  private readonly told = { pushSent: false, ringing: false, toTag: newTag() };
  /** The timeout passed while a device rang: no new branch, the ringing ones decide. */
  private closedForNew = false;
  /** Re-reads of the bindings run one after the other, so two publishes cannot fork twice to one registration. */
  private rereads: Promise<void> = Promise.resolve();
  readonly startedAt: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly waiting: WaitingRequest,
    private readonly services: PendingForkServices,
  ) {
    this.startedAt = services.clock.now();
    this.timeoutMs =
      waiting.request.method === 'MESSAGE' ? services.settings.messageTimeoutMs : services.settings.callTimeoutMs;
  }

  get callId(): string {
    return this.waiting.transaction.callId;
  }

  async start(): Promise<void> {
    const { transaction, aor } = this.waiting;
    const { clock, sources } = this.services;
    this.timer = clock.setTimer(this.timeoutMs, () => this.timedOut());
    transaction.events = { transportError: () => this.end('gone') };
    // Contacts with a live flow get the request at once; a push follows if their branch fails or stays silent
    // (Flexisip's push timeout). Sleeping ones are pushed once we listen for their registration.
    const asleep: WakeContact[] = [];
    for (const contact of this.waiting.contacts as readonly WakeContact[]) {
      const target = this.waiting.targetOf(contact);
      if (target) this.fork(keyOf(contact), signatureOf(contact), contact, target);
      else {
        this.asleep.set(keyOf(contact), signatureOf(contact));
        asleep.push(contact);
      }
    }
    const subscription = sources.onRegistered(aor, (field) => this.registered(field));
    this.subscription = subscription;
    try {
      await subscription.ready;
    } catch (error) {
      this.services.log.warn(
        { err: error, sip: { aor, callId: this.callId } },
        'cannot hear registrations: the request is not kept waiting',
      );
      this.end('timeout', 480);
      return;
    }
    if (this.finished) return;
    for (const contact of asleep) this.push(contact);
    // Registrations made between the routing decision and the subscription were published before we listened.
    this.reread();
  }

  /**
   * The caller's CANCEL: the branches are cancelled and the request ends with 487. A device that was pushed and has
   * not been reached since is told the call is gone (its app would otherwise ring for a call that no longer exists);
   * a device that got the INVITE gets the CANCEL on its branch instead.
   */
  cancel(): void {
    const unreached = this.pushedNotReached();
    this.end('cancelled', 487);
    this.tellCallGone(unreached);
  }

  /** Devices pushed for this request and not reached since (no branch to them, or only a superseded one). */
  private pushedNotReached(): [string, WakeContact][] {
    return [...this.pushed].filter(([key]) => {
      const branch = this.branches.get(key);
      return branch === undefined || branch.stale;
    });
  }

  /** A call that ended unanswered: each device woken for it and never reached gets a "call cancelled" push. */
  private tellCallGone(unreached: readonly [string, WakeContact][]): void {
    if (this.waiting.request.method !== 'INVITE') return;
    for (const [key, contact] of unreached) this.pushCancel(key, contact);
  }

  /** Queues the "call cancelled" push to a device pushed for this call, when its provider can show one. */
  private pushCancel(key: string, contact: WakeContact): void {
    const { request, aor } = this.waiting;
    const target = cancelTargetOf(contact.uri);
    if (!target.ok) {
      this.services.log.info({ sip: { aor, callId: this.callId, device: key } }, `no cancel push: ${target.error}`);
      return;
    }
    const job = cancelJobFor(aor, { uri: contact.uri, key }, target.value, request, this.timeoutMs);
    this.queueJob(job, key);
  }

  /** Queues the push that wakes this device, once per device and request; the first one tells the caller. */
  private push(contact: WakeContact): void {
    const key = keyOf(contact);
    if (this.finished || this.pushed.has(key)) return;
    const { request, aor, transaction } = this.waiting;
    const target = pushTargetOf(contact.uri, request.method === 'MESSAGE' ? 'message' : 'call');
    if (!target.ok) return;
    this.pushed.set(key, contact);
    if (request.method === 'INVITE' && !transaction.answered) this.tellCaller(target.value);
    this.queueJob(jobFor(aor, { uri: contact.uri, key }, target.value, request, this.timeoutMs), key);
  }

  /**
   * While a call waits for a wake-up: `110 Push sent` once, and for an alert-style push (APNs remote: the app shows
   * a notification, nothing rings) a `180 Ringing` once while no device rings, so that the caller hears ringback,
   * as Flexisip does. Both carry one To tag of ours; each can be turned off.
   */
  private tellCaller(target: PushTarget): void {
    const { request, transaction } = this.waiting;
    const { provisional, fakeRinging } = this.services.settings;
    const options = { toTag: this.told.toTag };
    if (provisional && !this.told.pushSent) {
      this.told.pushSent = true;
      transaction.respond(createResponse(request, provisional.status, provisional.reason, options));
    }
    const alertOnly = target.provider === 'apns' && target.service === 'remote';
    if (fakeRinging && alertOnly && !this.told.ringing && !this.anyAlerting()) {
      this.told.ringing = true;
      transaction.respond(createResponse(request, 180, 'Ringing', options));
    }
  }

  private anyAlerting(): boolean {
    return [...this.branches.values()].some((branch) => branch.alerting && !branch.done && !branch.stale);
  }

  private queueJob(job: PushJob, key: string): void {
    const { aor } = this.waiting;
    this.services.queue(job).then(
      () => this.services.pushQueued(true),
      (error: unknown) => {
        this.services.pushQueued(false);
        this.services.log.warn(
          { err: error, sip: { aor, callId: this.callId } },
          `${job.kind} push for ${key} not queued: ${(error as Error).message}`,
        );
      },
    );
  }

  private registered(field: string): void {
    if (this.finished) return;
    this.services.log.debug({ sip: { aor: this.waiting.aor, callId: this.callId, field } }, 'registration heard');
    this.reread();
  }

  private reread(): void {
    this.rereads = this.rereads.then(
      () => this.forwardToWoken(),
      () => undefined,
    );
  }

  private async forwardToWoken(): Promise<void> {
    if (this.finished || this.closedForNew) return;
    let contacts: readonly WakeContact[];
    try {
      contacts = await this.services.sources.lookup(this.waiting.aor);
    } catch (error) {
      this.services.log.warn({ err: error, sip: { callId: this.callId } }, 'bindings not read after a publish');
      return;
    }
    for (const contact of contacts) {
      if (this.finished) return;
      const key = keyOf(contact);
      const signature = signatureOf(contact);
      if (this.asleep.get(key) === signature) continue;
      const previous = this.branches.get(key);
      if (previous && (previous.signature === signature || previous.alerting)) continue;
      if (previous) {
        // The device registered again on another flow while its branch waits on the old one (Flexisip #257).
        previous.stale = true;
        previous.stopTimer();
        previous.forwarding?.cancel();
      }
      // A device that registered on another node without a Path is reached at its contact URI (see README).
      const target = this.waiting.targetOf(contact) ?? { uri: contact.uri, label: `woken contact ${key}` };
      this.services.woken();
      this.services.log.debug(
        { sip: { aor: this.waiting.aor, callId: this.callId, device: key }, waitedMs: this.elapsed() },
        'device woke: forwarding the waiting request',
      );
      this.fork(key, signature, contact, target);
    }
  }

  private fork(key: string, signature: string, contact: WakeContact, target: BranchTarget): void {
    const branch = new WokenBranch(key, signature);
    this.branches.set(key, branch);
    if (!this.pushed.has(key) && pushTargetOf(contact.uri, 'call').ok) {
      // A live flow that stays silent may be a dead one the kernel has not noticed yet: push as well.
      branch.pushTimer = this.services.clock.setTimer(this.services.settings.pushAfterMs, () => {
        if (!branch.alerting && !branch.done && !branch.stale) this.push(contact);
      });
    }
    branch.contact = contact;
    const upstream: Upstream = { events: {}, respond: (response) => this.fromBranch(branch, response) };
    branch.forwarding = this.waiting.forward([target], upstream);
  }

  /** Every response of a woken branch comes here before it may go to the caller. */
  private fromBranch(branch: WokenBranch, response: SipResponse): boolean {
    const status = response.status;
    const transaction = this.waiting.transaction;
    // Every 2xx of an INVITE goes upstream (RFC 3261 16.7 step 5), late or not.
    if (status >= 200 && status < 300) {
      branch.done = true;
      const sent = transaction.respond(response);
      this.end('answered');
      return sent;
    }
    if (branch.stale || this.finished) return false;
    if (status < 200) {
      branch.alerting = true;
      branch.stopTimer();
      return transaction.respond(response);
    }
    branch.done = true;
    branch.stopTimer();
    if (this.closedForNew) return this.liveBranches() === 0 ? this.endWith(response) : false;
    if (NOT_FINAL_WHILE_WAITING.has(status)) {
      this.services.log.info(
        { sip: { callId: this.callId, device: branch.key, status } },
        'branch to a device failed: waiting for it to register again',
      );
      // This registration is spent; the device registering anew gets the request again (after a push).
      this.branches.delete(branch.key);
      this.asleep.set(branch.key, branch.signature);
      if (branch.contact) this.push(branch.contact);
      if (this.pushed.size === 0 && this.liveBranches() === 0) {
        // Nothing can wake anyone: no reason to keep the caller waiting.
        return this.endWith(response);
      }
      return false;
    }
    return this.endWith(response);
  }

  private endWith(response: SipResponse): boolean {
    const sent = this.waiting.transaction.respond(response);
    this.end('answered');
    return sent;
  }

  private liveBranches(): number {
    let count = 0;
    for (const branch of this.branches.values()) if (!branch.done && !branch.stale) count++;
    return count;
  }

  private timedOut(): void {
    if (this.anyAlerting()) {
      // A device is ringing: the call is no longer waiting for a wake-up. Stop listening; its answer ends it.
      this.closedForNew = true;
      this.subscription?.close();
      return;
    }
    this.services.log.info(
      { sip: { aor: this.waiting.aor, callId: this.callId }, timeoutMs: this.timeoutMs },
      'no device woke in time: 480',
    );
    const unreached = this.pushedNotReached();
    this.end('timeout', 480);
    // As Flexisip ends an alert-style push: the app that rang for nothing shows a missed call.
    this.tellCallGone(unreached);
  }

  private end(how: 'answered' | 'cancelled' | 'timeout' | 'gone', status?: number): void {
    if (this.finished) return;
    this.finished = true;
    this.timer?.cancel();
    this.subscription?.close();
    for (const branch of this.branches.values()) {
      branch.stopTimer();
      if (branch.done) continue;
      branch.stale = true;
      branch.forwarding?.cancel();
    }
    const transaction = this.waiting.transaction;
    if (status !== undefined && !transaction.answered && transaction.state !== 'terminated') {
      transaction.respond(createResponse(this.waiting.request, status));
    }
    this.services.ended(this, how);
  }

  private elapsed(): number {
    return Math.round(this.services.clock.now() - this.startedAt);
  }
}
