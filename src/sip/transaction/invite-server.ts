import type { SipRequest, SipResponse } from '../message/index.js';
import type { MessageSource } from '../transport/index.js';
import type { TransactionContext } from './context.js';
import { ServerTransaction } from './server-transaction.js';
import { transactionTimeout, timerT4 } from './timers.js';

/**
 * The INVITE server transaction (RFC 3261 17.2.1, with RFC 6026's Accepted state):
 * - Proceeding: a retransmitted INVITE gets the last provisional response again (never reaches the proxy core);
 * - a 2xx moves to Accepted for Timer L (64*T1): retransmitted INVITEs are absorbed, and further 2xx from other
 *   branches still go out (a forking proxy passes every 2xx on);
 * - a 300-699 moves to Completed: re-sent on Timer G (T1 doubling to T2, UDP only) until the ACK comes (Confirmed,
 *   then Timer I absorbs ACK retransmissions) or Timer H (64*T1) gives up.
 */
export class InviteServerTransaction extends ServerTransaction {
  constructor(key: string, request: SipRequest, source: MessageSource, context: TransactionContext) {
    super(key, request, source, context, 'proceeding');
  }

  respond(response: SipResponse): boolean {
    const status = response.status;
    if (this.state === 'proceeding') {
      this.send(response);
      if (status >= 300) this.complete();
      else if (status >= 200) this.accept();
      return true;
    }
    // RFC 6026 7.1: in Accepted, more 2xx from the transaction user are sent; anything else is dropped.
    if (this.state === 'accepted' && status >= 200 && status < 300) {
      this.transmit(response.toBuffer());
      return true;
    }
    return false;
  }

  retransmitted(): void {
    // Accepted: absorbed without an answer (RFC 6026 8.5); Confirmed: nothing to say either.
    if (this.state === 'proceeding' || this.state === 'completed') this.resendLast();
  }

  /** The ACK of our non-2xx final response: retransmissions stop. */
  ack(): void {
    if (this.state !== 'completed') return;
    this.state = 'confirmed';
    this.cancelTimers();
    this.after(timerT4(this.context.timers, this.reliable), () => this.terminate());
  }

  private accept(): void {
    this.state = 'accepted';
    // Nothing is re-sent from Accepted: retransmitted INVITEs are absorbed silently.
    this.lastSent = undefined;
    this.after(transactionTimeout(this.context.timers), () => this.terminate());
  }

  private complete(): void {
    this.state = 'completed';
    const { t1Ms, t2Ms } = this.context.timers;
    if (!this.reliable) {
      const retransmit = (interval: number) => {
        this.after(
          interval,
          () => {
            if (this.state !== 'completed') return;
            this.resendLast();
            retransmit(Math.min(2 * interval, t2Ms));
          },
          true,
        );
      };
      retransmit(t1Ms);
    }
    this.after(transactionTimeout(this.context.timers), () => {
      if (this.state !== 'completed') return;
      this.terminate();
      this.events.noAck?.();
    });
  }
}
