import type { Logger } from '../../log.js';
import type { SipMessage } from '../message/index.js';
import type { Destination } from '../transport/index.js';
import type { Clock } from './clock.js';
import type { TimerSettings } from './timers.js';

/** How a transaction sends: the transport layer's `send`, or a fake in unit tests. Rejects on a transport error. */
export interface TransactionSender {
  send(message: SipMessage | Buffer, destination: Destination): Promise<void>;
}

/** What every transaction gets from the layer that made it. */
export interface TransactionContext {
  readonly clock: Clock;
  readonly timers: TimerSettings;
  readonly sender: TransactionSender;
  readonly log: Logger;
  /** Takes a transaction out of the layer's table (it reached Terminated). */
  forget(key: string, transaction: object): void;
}

/** True for a transport that delivers reliably (TCP): no retransmissions, no waiting for strays. */
export function isReliable(destination: Destination): boolean {
  return destination.transport !== 'udp';
}
