/* SIP transactions (RFC 3261 section 17, RFC 6026): client and server, INVITE and non-INVITE, with their timers. */
export { detached, systemClock, type Clock, type TimerHandle } from './clock.js';
export { ClientTransaction, type ClientState, type ClientTransactionEvents } from './client-transaction.js';
export type { TransactionSender } from './context.js';
export { InviteClientTransaction } from './invite-client.js';
export { InviteServerTransaction } from './invite-server.js';
export { NonInviteClientTransaction } from './non-invite-client.js';
export { NonInviteServerTransaction } from './non-invite-server.js';
export { ackFor, cancelFor } from './requests.js';
export { ServerTransaction, type ServerState, type ServerTransactionEvents } from './server-transaction.js';
export { DEFAULT_TIMERS, transactionTimeout, type TimerSettings } from './timers.js';
export { TransactionLayer, type TransactionLayerOptions, type TransactionUser } from './transaction-layer.js';
