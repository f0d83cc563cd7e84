import type { SipRequest } from '../message/index.js';
import type { ClientTransaction, InviteClientTransaction, TimerHandle } from '../transaction/index.js';
import type { BranchTarget } from './branch-target.js';

/**
 * One branch of a response context (RFC 3261 16.6-16.7): its target, the request sent (until the context is done),
 * its client transaction, whether a provisional came (a CANCEL may be sent only then), and its Timer C and
 * failover timer.
 */
export class Branch {
  state: 'starting' | 'pending' | 'done' = 'starting';
  request: SipRequest | undefined;
  transaction: ClientTransaction | undefined;
  provisional = false;
  timerC: TimerHandle | undefined;
  failover: TimerHandle | undefined;

  constructor(readonly target: BranchTarget) {}

  stopTimers(): void {
    this.timerC?.cancel();
    this.failover?.cancel();
    this.timerC = this.failover = undefined;
  }

  /** INVITE only: CANCEL now if a provisional came, else as soon as one comes. */
  cancel(): void {
    (this.transaction as InviteClientTransaction | undefined)?.cancel?.();
  }
}
