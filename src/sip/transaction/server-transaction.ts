import type { SipRequest, SipResponse } from '../message/index.js';
import { responseDestination, type Destination, type MessageSource } from '../transport/index.js';
import { detached } from './clock.js';
import { isReliable, type TransactionContext } from './context.js';
import { StateTimers } from './state-timers.js';
import { keptCopy } from './kept-bytes.js';

/** What a server transaction tells its transaction user (the proxy core). Each callback is optional. */
export interface ServerTransactionEvents {
  /** A response could not be sent (RFC 3261 17.2.4): the transaction is terminated. */
  transportError?(error: unknown): void;
  /** INVITE: Timer H fired, the ACK for a non-2xx final response never came. */
  noAck?(): void;
  terminated?(): void;
}

export type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/**
 * What INVITE and non-INVITE server transactions share: the request, where responses go (RFC 3261 18.2.2 and RFC
 * 3581, computed once from the request's top Via and source), the last response kept as bytes for
 * retransmissions, and the end of the transaction.
 */
export abstract class ServerTransaction {
  state: ServerState;
  events: ServerTransactionEvents = {};
  readonly method: string;
  readonly callId: string;
  readonly destination: Destination;
  readonly reliable: boolean;
  /** Held until a final response is sent: a busy proxy keeps each answered transaction for 32 s more. */
  private held: SipRequest | undefined;
  /** The last response sent, as bytes: a retransmitted request gets it again, unchanged. */
  protected lastSent: Buffer | undefined;
  protected lastStatus = 0;
  /** The retransmission timer and the timer that ends the state. */
  private readonly timers: StateTimers;

  constructor(
    readonly key: string,
    request: SipRequest,
    readonly source: MessageSource,
    protected readonly context: TransactionContext,
    initial: ServerState,
  ) {
    this.state = initial;
    this.held = request;
    this.method = request.method;
    this.callId = detached(request.callId());
    const destination = responseDestination(request.topVia(), source);
    this.destination = { ...destination, address: detached(destination.address) };
    this.reliable = isReliable(this.destination);
    this.timers = new StateTimers(context.clock);
  }

  /** The request, until the transaction is answered (a final response sent); reading it later is a bug. */
  get request(): SipRequest {
    if (!this.held) throw new Error(`the request of answered transaction ${this.method} ${this.callId} was released`);
    return this.held;
  }

  get isInvite(): boolean {
    return this.method === 'INVITE';
  }

  /** The status of the last response sent (0 before any). */
  get lastStatusSent(): number {
    return this.lastStatus;
  }

  /** True once a final response was sent (further 2xx may still follow for an INVITE: RFC 6026). */
  get answered(): boolean {
    return this.lastStatus >= 200;
  }

  /** Sends a response from the transaction user, if the state allows it. Returns false when it was not sent. */
  abstract respond(response: SipResponse): boolean;

  /** The same request again (a retransmission): absorbed, the last response re-sent where the state says so. */
  abstract retransmitted(): void;

  protected transmit(bytes: Buffer): void {
    this.context.sender.send(bytes, this.destination).catch((error: unknown) => {
      if (this.state === 'terminated') return;
      this.context.log.debug(
        { err: error, sip: { callId: this.callId, method: this.method } },
        'response not sent: transaction ended (transport error)',
      );
      this.terminate();
      this.events.transportError?.(error);
    });
  }

  protected send(response: SipResponse): void {
    const bytes = response.toBuffer();
    const final = response.status >= 200;
    // A final response is kept for 32 s, and only where requests can be retransmitted (UDP): in a block of its own.
    this.lastSent = !final ? bytes : this.reliable ? undefined : keptCopy(bytes);
    this.lastStatus = response.status;
    if (final) this.held = undefined;
    this.transmit(bytes);
  }

  protected resendLast(): void {
    if (this.lastSent) this.transmit(this.lastSent);
  }

  /** Sets the state's ending timer, or with `repeating` the retransmission timer; ms 0 ends after this event. */
  protected after(ms: number, fire: () => void, repeating = false): void {
    this.timers.after(ms, fire, repeating);
  }

  protected cancelTimers(): void {
    this.timers.cancel();
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.cancelTimers();
    this.context.forget(this.key, this);
    this.events.terminated?.();
  }
}
