import type { SipRequest, SipResponse } from '../message/index.js';
import type { MessageSource } from '../transport/index.js';
import type { TransactionContext } from './context.js';
import { ServerTransaction } from './server-transaction.js';
import { timerJ } from './timers.js';

/**
 * The non-INVITE server transaction (RFC 3261 17.2.2): Trying until the first response; a retransmitted request
 * gets the last response again in Proceeding and Completed; Completed lasts Timer J (64*T1 over UDP, 0 over TCP)
 * to absorb retransmissions.
 */
export class NonInviteServerTransaction extends ServerTransaction {
  constructor(key: string, request: SipRequest, source: MessageSource, context: TransactionContext) {
    super(key, request, source, context, 'trying');
  }

  respond(response: SipResponse): boolean {
    if (this.state !== 'trying' && this.state !== 'proceeding') return false;
    this.send(response);
    if (response.status < 200) {
      this.state = 'proceeding';
      return true;
    }
    this.state = 'completed';
    this.after(timerJ(this.context.timers, this.reliable), () => this.terminate());
    return true;
  }

  retransmitted(): void {
    if (this.state === 'proceeding' || this.state === 'completed') this.resendLast();
  }
}
