import type { Logger } from '../../log.js';
import { parseUri, SipUri, type SipRequest, type SipResponse, type Uri } from '../message/index.js';
import type { MessageSource } from '../transport/index.js';
import { aorFromInput, aorOf } from './aor.js';
import { PLACEHOLDER_PREFIX, grToInstance, instanceToGr } from './binding-key.js';
import type { BindingStore, RegisterOutcome } from './binding-store.js';
import type { RegistrarSettings } from './config.js';
import { isLive, parseBinding, type StoredBinding } from './flexisip-contact.js';
import { FlowBindings } from './flow-bindings.js';
import { FlowTable } from './flows.js';
import { planRegister, type RegisterPlan } from './register-plan.js';
import { registerError, registerOk, retryAfter } from './register-response.js';
import { byPreference, toRegisteredContact, type RegisteredContact } from './registered-contact.js';

export interface RegistrarOptions {
  readonly store: BindingStore;
  readonly settings: RegistrarSettings;
  readonly log: Logger;
  readonly flows?: FlowTable;
  /** True while the store can take a command now (ioredis status 'ready'); when false REGISTER gets 503 at once. */
  readonly storeReady?: () => boolean;
  /** Milliseconds since the epoch; tests move it. */
  readonly now?: () => number;
  /**
   * Closes a connection of this process (the transports' closeConnection): a device's old flow, once it registered
   * its instance again over another one. False when not open. Without it, old flows wait for their idle timeout.
   */
  readonly closeFlow?: (connectionId: string, reason: string) => boolean;
}

/** What the registrar did, for logs and metrics. */
export interface RegistrarCounters {
  /** REGISTERs whose bindings were written (added or refreshed; some may remove others in the same request). */
  stored: number;
  /** REGISTERs that only removed bindings: `Contact: *`, or every contact with expires 0 (a device signing out). */
  removed: number;
  /** REGISTERs without Contact answered with the current bindings. */
  fetched: number;
  /** A REGISTER seen again (same Call-ID and CSeq): answered with the current bindings, nothing written. */
  retransmissions: number;
  /** Refused for what they asked (400, 403, 420, 423) or out of order (500). */
  rejected: number;
  /** Answered 503 at once: too many REGISTERs already waiting for Redis, or Redis not connected. */
  overloaded: number;
  /** Answered 503 because Redis did not confirm the write in time or failed it. */
  storeFailures: number;
}

const FAILURE_LOG_EVERY_MS = 5_000;

/**
 * The registrar (RFC 3261 10.3) over the data Redis, in Flexisip's record format. REGISTER is answered without a
 * server transaction, as Kamailio's registrar does: a retransmission is simply processed again, which the store
 * recognises (same Call-ID and CSeq) and answers with the current bindings, changing nothing.
 *
 * Never a 200 for a binding that is not in Redis: the answer waits for the script's reply, and a write that fails
 * or is not confirmed within writeTimeoutMs gets 503 with Retry-After (the device, or a proxy in front, tries again
 * or another node; the write may still land, which is harmless). Overload: at most maxInFlight REGISTERs wait for
 * Redis; the next ones get 503 at once, before any queue grows.
 */
export class Registrar {
  readonly counters: RegistrarCounters = {
    stored: 0,
    removed: 0,
    fetched: 0,
    retransmissions: 0,
    rejected: 0,
    overloaded: 0,
    storeFailures: 0,
  };
  readonly flows: FlowTable;
  /** The bindings registered here per connection: an old flow is closed only when none is left on it. */
  readonly flowBindings = new FlowBindings();
  private readonly closeFlow: (connectionId: string, reason: string) => boolean;
  private readonly store: BindingStore;
  private readonly settings: RegistrarSettings;
  private readonly log: Logger;
  private readonly storeReady: () => boolean;
  private readonly now: () => number;
  private inFlight = 0;
  /** The answers being worked out, by Call-ID, CSeq and branch: a retransmission joins its original. */
  private readonly waiting = new Map<string, Promise<SipResponse>>();
  private lastFailureLog = 0;
  private failuresSinceLog = 0;

  constructor(options: RegistrarOptions) {
    this.store = options.store;
    this.settings = options.settings;
    this.log = options.log;
    this.flows = options.flows ?? new FlowTable();
    this.storeReady = options.storeReady ?? (() => true);
    this.now = options.now ?? Date.now;
    this.closeFlow = options.closeFlow ?? (() => false);
  }

  /** REGISTERs waiting for Redis now. */
  get pending(): number {
    return this.inFlight;
  }

  /**
   * The answer to a REGISTER (never throws for anything the request holds). A retransmission that arrives while its
   * original still waits for Redis joins it instead of writing again: under load, when answers take longer than
   * the device's retransmission timer (500 ms), every REGISTER would otherwise cost two writes or more, just when
   * Redis is the bottleneck. Nothing is kept once the answer is out.
   */
  handle(request: SipRequest, source: MessageSource): Promise<SipResponse> {
    const key = `${request.callId()}\n${request.cseq().seq}\n${request.topVia().branch ?? ''}`;
    const pending = this.waiting.get(key);
    if (pending) {
      this.counters.retransmissions++;
      return pending;
    }
    const answer = this.process(request, source);
    this.waiting.set(key, answer);
    const done = () => this.waiting.delete(key);
    answer.then(done, done);
    return answer;
  }

  private async process(request: SipRequest, source: MessageSource): Promise<SipResponse> {
    const nowMs = this.now();
    const nowS = Math.floor(nowMs / 1000);
    const connectionId = this.flows.idOf(source);
    const client = { address: source.address, port: source.port };
    const plan = planRegister(request, this.settings, { connectionId, nowS, client });
    if (plan.kind === 'reject') {
      this.counters.rejected++;
      return registerError(request, plan.status, plan.reason, plan.headers);
    }
    if (this.inFlight >= this.settings.maxInFlight || !this.storeReady()) {
      this.counters.overloaded++;
      this.log.debug({ pending: this.inFlight, storeReady: this.storeReady() }, 'REGISTER refused: overloaded');
      return this.unavailable(request, 'Overloaded');
    }
    this.inFlight++;
    let outcome: RegisterOutcome;
    try {
      outcome = await this.apply(plan, nowS);
    } catch (error) {
      this.counters.storeFailures++;
      this.noteFailure(error as Error);
      return this.unavailable(request, 'Registration Not Stored');
    } finally {
      this.inFlight--;
    }
    if (outcome.kind === 'stale') {
      // RFC 3261 10.3 step 7: the update fails. 500 as RFC 3261 12.2.2 answers a request with a lower CSeq.
      this.counters.rejected++;
      return registerError(request, 500, 'Out of Order CSeq');
    }
    if (plan.kind === 'bind') this.flows.remember(connectionId, source);
    if (outcome.kind === 'ok' && plan.kind !== 'fetch') this.closeOldFlows(plan, outcome.contacts, source, nowS);
    if (plan.kind === 'fetch') this.counters.fetched++;
    else if (outcome.kind === 'retransmission') this.counters.retransmissions++;
    else if (plan.kind === 'clear' || plan.contacts.every((contact) => contact.expires === 0)) this.counters.removed++;
    else this.counters.stored++;
    const known = new Map(plan.kind === 'bind' ? plan.contacts.map((c) => [c.value, c.binding] as const) : []);
    const live: StoredBinding[] = [];
    for (const [field, value] of outcome.contacts) {
      const binding = known.get(value) ?? this.read(plan.info.aor, field, value);
      if (binding && isLive(binding, nowS)) live.push(binding);
    }
    return registerOk(request, live, plan.info, nowMs);
  }

  /** A connection of this process closed: its flow and its bindings' use of it are forgotten. */
  forgetFlow(connectionId: string): void {
    this.flows.forget(connectionId);
    this.flowBindings.forget(connectionId);
  }

  /**
   * After a REGISTER was applied: the connections its bindings were on before, when it moved them to another and no
   * live binding registered here still uses them, are closed (flow-bindings.ts says why). Only bindings with a
   * device's own id (+sip.instance, pn-tok, line) count: a URI-derived field names a contact, not a device.
   */
  private closeOldFlows(
    plan: Extract<RegisterPlan, { kind: 'bind' | 'clear' }>,
    live: ReadonlyMap<string, string>,
    source: MessageSource,
    nowS: number,
  ): void {
    const { aor } = plan.info;
    const current = source.connectionId;
    const left = new Map<string, string>();
    for (const contact of plan.kind === 'bind' ? plan.contacts : []) {
      const before =
        contact.expires > 0 && current !== undefined
          ? this.flowBindings.bind(aor, contact.field, current, nowS + contact.expires)
          : this.flowBindings.unbind(aor, contact.field);
      const moved = contact.expires > 0 && before !== undefined && before !== current;
      if (moved && !contact.field.startsWith(PLACEHOLDER_PREFIX)) left.set(before, contact.field);
    }
    this.flowBindings.keepOnly(aor, live.keys());
    const where =
      current === undefined ? `${source.transport} ${source.address}:${source.port}` : `connection ${current}`;
    for (const [old, instance] of left) {
      if (this.flowBindings.inUse(old, nowS) || !this.closeFlow(old, `${instance} re-registered on ${where}`)) continue;
      this.log.info(
        { sip: { aor, instance }, connection: { old, new: current } },
        `closed the old flow of ${instance}: re-registered on ${where}`,
      );
    }
  }

  /** The live contacts of an AOR (`user@host`, or a SIP URI), preferred first. Rejects when Redis fails. */
  async lookup(aor: string | Uri): Promise<RegisteredContact[]> {
    const key = aorFromInput(aor);
    if (key === undefined) return [];
    const nowS = Math.floor(this.now() / 1000);
    const contacts: RegisteredContact[] = [];
    for (const [field, value] of await this.store.fetch(key)) {
      const contact = toRegisteredContact(key, field, value, nowS, this.flows, (error) =>
        this.badValue(key, field, error),
      );
      if (contact) contacts.push(contact);
    }
    return contacts.sort(byPreference);
  }

  /** The device a public GRUU (RFC 5627: `sip:user@host;gr=urn:uuid:...`) names, if it is registered. */
  async lookupGruu(gruu: SipUri | string): Promise<RegisteredContact | undefined> {
    let uri: Uri;
    try {
      uri = typeof gruu === 'string' ? parseUri(gruu.trim().replace(/^<(.*)>$/, '$1'), 'GRUU') : gruu;
    } catch {
      return undefined;
    }
    const gr = uri instanceof SipUri ? uri.param('gr') : undefined;
    if (!(uri instanceof SipUri) || typeof gr !== 'string' || gr === '') return undefined;
    const aor = aorOf(uri);
    const nowS = Math.floor(this.now() / 1000);
    const field = grToInstance(gr);
    const value = await this.store.fetchField(aor, field);
    if (value !== undefined) return toRegisteredContact(aor, field, value, nowS, this.flows);
    // A device may write its +sip.instance another way (no quotes, other case): compare the URNs themselves.
    for (const contact of await this.lookup(aor)) {
      const instanceGr = contact.instance === undefined ? undefined : instanceToGr(contact.instance);
      if (instanceGr !== undefined && instanceGr.toLowerCase() === gr.toLowerCase()) return contact;
    }
    return undefined;
  }

  private apply(plan: Exclude<RegisterPlan, { kind: 'reject' }>, nowS: number): Promise<RegisterOutcome> {
    const { aor, storedCallId, cseq } = plan.info;
    const origin = { callId: storedCallId, cseq };
    if (plan.kind === 'clear') return this.store.clear(aor, origin, nowS);
    if (plan.kind === 'bind') return this.store.register(aor, origin, plan.contacts, nowS);
    return this.store.fetch(aor).then((contacts) => ({ kind: 'ok', contacts }));
  }

  private unavailable(request: SipRequest, reason: string): SipResponse {
    return registerError(request, 503, reason, [['Retry-After', retryAfter(this.settings.retryAfterS)]]);
  }

  private read(aor: string, field: string, value: string): StoredBinding | undefined {
    const parsed = parseBinding(value);
    if (parsed.ok) return parsed.binding;
    this.badValue(aor, field, parsed.error);
    return undefined;
  }

  private badValue(aor: string, field: string, error: string): void {
    this.log.warn({ sip: { aor, field }, error }, `stored binding of ${aor} not readable: ${error}`);
  }

  /** Store failures come in bursts (Redis paused or gone): one line every few seconds, with how many. */
  private noteFailure(error: Error): void {
    this.failuresSinceLog++;
    const now = Date.now();
    if (now - this.lastFailureLog < FAILURE_LOG_EVERY_MS) return;
    this.log.warn(
      { err: error, failures: this.failuresSinceLog, pending: this.inFlight },
      `REGISTER not stored (${this.failuresSinceLog} since the last report): ${error.message}; answered 503`,
    );
    this.lastFailureLog = now;
    this.failuresSinceLog = 0;
  }
}
