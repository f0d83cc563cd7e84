import type { SipRequest, SipResponse } from '../message/index.js';
import type { Destination } from '../transport/index.js';
import { ClientTransaction, type ClientTransactionEvents } from './client-transaction.js';
import type { TransactionContext } from './context.js';
import { transactionTimeout, timerT4 } from './timers.js';

/**
 * The non-INVITE client transaction (RFC 3261 17.1.2): Timer E retransmits over UDP (T1 doubling up to T2, and T2
 * once a provisional came), Timer F (64*T1) gives up with a timeout; a final response moves to Completed, where
 * Timer K (T4 over UDP, 0 over TCP) absorbs its retransmissions.
 */
export class NonInviteClientTransaction extends ClientTransaction {
  constructor(
    key: string,
    request: SipRequest,
    destination: Destination,
    context: TransactionContext,
    events: ClientTransactionEvents,
  ) {
    super(key, request, destination, context, events, 'trying');
  }

  start(): void {
    this.transmit();
    const { t1Ms, t2Ms } = this.context.timers;
    this.retransmitEvery(t1Ms, t2Ms, () => this.state === 'trying' || this.state === 'proceeding');
    this.after(transactionTimeout(this.context.timers), () => {
      if (this.state === 'trying' || this.state === 'proceeding') this.timedOut();
    });
  }

  received(response: SipResponse): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    if (response.status < 200) {
      // RFC 3261 17.1.2.2: in Proceeding the retransmissions go on every T2; the running timer keeps its pace and
      // reaches T2 soon enough, which keeps this code to one timer.
      this.state = 'proceeding';
      this.events.response(response);
      return;
    }
    this.state = 'completed';
    this.cancelTimers();
    this.settled();
    this.events.response(response);
    this.after(timerT4(this.context.timers, this.reliable), () => this.terminate());
  }
}
