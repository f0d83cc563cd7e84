import type { SipRequest, SipResponse } from '../message/index.js';
import type { Destination } from '../transport/index.js';
import { isReliable, type TransactionContext } from './context.js';
import { StateTimers } from './state-timers.js';

const EMPTY = Buffer.alloc(0);

/** What a client transaction tells its transaction user (the proxy core). */
export interface ClientTransactionEvents {
  /** A response for the transaction user: provisional and final ones (and, for INVITE, every later 2xx). */
  response(response: SipResponse): void;
  /** Timer B or F fired without a final response: the transaction user answers 408 (RFC 3261 17.1.1.2, 17.1.2.2). */
  timeout(): void;
  /** The request could not be sent: the transaction user treats it as a 503 (RFC 3261 8.1.3.1, 16.7). */
  transportError(error: unknown): void;
}

export type ClientState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

/**
 * What INVITE and non-INVITE client transactions share: the request (sent as bytes serialized once, so every
 * retransmission is the same), its destination, timers, and the end of the transaction.
 */
export abstract class ClientTransaction {
  state: ClientState;
  readonly method: string;
  readonly reliable: boolean;
  /** Held while it may still be needed (retransmissions, a CANCEL, the ACK); released once settled. */
  private held: SipRequest | undefined;
  /** The request as sent; released once no retransmission can follow (a call keeps its transactions for 32 s). */
  protected bytes: Buffer;
  /** The retransmission timer and the timer that ends the state. */
  private readonly timers: StateTimers;

  constructor(
    readonly key: string,
    request: SipRequest,
    readonly destination: Destination,
    protected readonly context: TransactionContext,
    protected readonly events: ClientTransactionEvents,
    initial: ClientState,
  ) {
    this.state = initial;
    this.held = request;
    this.method = request.method;
    this.reliable = isReliable(destination);
    this.bytes = request.toBuffer();
    this.timers = new StateTimers(context.clock);
  }

  /** The request sent, until the transaction settles (final response); reading it later is a bug. */
  get request(): SipRequest {
    if (!this.held) throw new Error(`the request of settled client transaction ${this.key} was released`);
    return this.held;
  }

  /** Sends the request and starts the timers. */
  abstract start(): void;

  /** A response whose branch and method are this transaction's. */
  abstract received(response: SipResponse): void;

  protected transmit(bytes: Buffer = this.bytes): void {
    this.context.sender.send(bytes, this.destination).catch((error: unknown) => {
      if (this.state === 'terminated' || this.state === 'completed' || this.state === 'accepted') return;
      this.terminate();
      this.events.transportError(error);
    });
  }

  /** Retransmits on a doubling interval (capped at `cap`) while `active()` holds. Nothing over TCP. */
  protected retransmitEvery(first: number, cap: number, active: () => boolean): void {
    if (this.reliable) return;
    const again = (interval: number) => {
      this.after(
        interval,
        () => {
          if (!active()) return;
          this.transmit();
          again(Math.min(2 * interval, cap));
        },
        true,
      );
    };
    again(first);
  }

  /** Sets the state's ending timer, or with `repeating` the retransmission timer; ms 0 ends after this event. */
  protected after(ms: number, fire: () => void, repeating = false): void {
    this.timers.after(ms, fire, repeating);
  }

  /** The transaction has its final response: neither the request nor its bytes are needed any more. */
  protected settled(): void {
    this.dropBytes();
    this.held = undefined;
  }

  /** No retransmission of the request can follow (a provisional came for an INVITE): its bytes can go. */
  protected dropBytes(): void {
    this.bytes = EMPTY;
  }

  protected cancelTimers(): void {
    this.timers.cancel();
  }

  protected timedOut(): void {
    this.terminate();
    this.events.timeout();
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.cancelTimers();
    this.context.forget(this.key, this);
  }
}
