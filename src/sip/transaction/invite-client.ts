import type { SipRequest, SipResponse } from '../message/index.js';
import type { Destination } from '../transport/index.js';
import { ClientTransaction, type ClientTransactionEvents } from './client-transaction.js';
import type { TransactionContext } from './context.js';
import { keptCopy } from './kept-bytes.js';
import { ackFor, cancelFor } from './requests.js';
import { timerD, transactionTimeout } from './timers.js';

/** Starts the CANCEL's own non-INVITE client transaction (the layer knows how). */
export type StartCancel = (cancel: SipRequest, destination: Destination) => void;

/**
 * The INVITE client transaction (RFC 3261 17.1.1, with RFC 6026's Accepted state):
 * - Calling: Timer A retransmits over UDP (T1, doubling), Timer B (64*T1) gives up with a timeout;
 * - a provisional moves to Proceeding (no more retransmissions; the proxy's Timer C watches from there);
 * - a 2xx moves to Accepted for Timer M (64*T1): every 2xx, retransmissions and other dialogs' included, goes to the
 *   transaction user, which forwards them (the ACK of a 2xx is end to end, not ours);
 * - a 300-699 moves to Completed: the ACK is generated here and sent hop by hop, and re-sent for each retransmitted
 *   final response during Timer D.
 * `cancel()` sends a CANCEL once a provisional response has come (RFC 3261 9.1 forbids it before).
 */
export class InviteClientTransaction extends ClientTransaction {
  private cancelWanted = false;
  private cancelSent = false;
  private ackBytes: Buffer | undefined;

  constructor(
    key: string,
    request: SipRequest,
    destination: Destination,
    context: TransactionContext,
    events: ClientTransactionEvents,
    private readonly startCancel: StartCancel,
  ) {
    super(key, request, destination, context, events, 'calling');
  }

  /** True once a CANCEL was asked for (sent, or waiting for a provisional response). */
  get cancelling(): boolean {
    return this.cancelWanted;
  }

  start(): void {
    this.transmit();
    this.retransmitEvery(this.context.timers.t1Ms, Infinity, () => this.state === 'calling');
    this.after(transactionTimeout(this.context.timers), () => {
      if (this.state === 'calling') this.timedOut();
    });
  }

  received(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          if (this.state === 'calling') {
            this.state = 'proceeding';
            this.cancelTimers();
            this.dropBytes();
          }
          this.events.response(response);
          if (this.cancelWanted) this.sendCancel();
        } else if (status < 300) {
          this.state = 'accepted';
          this.cancelTimers();
          this.settled();
          this.after(transactionTimeout(this.context.timers), () => this.terminate());
          this.events.response(response);
        } else {
          this.state = 'completed';
          this.cancelTimers();
          const ack = ackFor(this.request, response).toBuffer();
          // Kept during Timer D (UDP) to answer retransmitted final responses: in a block of its own.
          this.ackBytes = this.reliable ? ack : keptCopy(ack);
          this.settled();
          this.transmit(ack);
          this.after(timerD(this.context.timers, this.reliable), () => this.terminate());
          this.events.response(response);
        }
        return;
      case 'accepted':
        if (status >= 200 && status < 300) this.events.response(response);
        return;
      case 'completed':
        if (status >= 300 && this.ackBytes) this.transmit(this.ackBytes);
        return;
      default:
        return;
    }
  }

  /** Asks for the INVITE to be cancelled: at once when a provisional came, else when one comes. */
  cancel(): void {
    if (this.cancelWanted) return;
    this.cancelWanted = true;
    if (this.state === 'proceeding') this.sendCancel();
  }

  private sendCancel(): void {
    if (this.cancelSent) return;
    this.cancelSent = true;
    this.startCancel(cancelFor(this.request), this.destination);
  }
}
