import type { Logger } from '../../log.js';
import { SipRequest, type SipMessage, type SipResponse } from '../message/index.js';
import type { Destination, MessageSource } from '../transport/index.js';
import { systemClock, type Clock } from './clock.js';
import type { ClientTransaction, ClientTransactionEvents } from './client-transaction.js';
import type { TransactionContext, TransactionSender } from './context.js';
import { InviteClientTransaction } from './invite-client.js';
import { InviteServerTransaction } from './invite-server.js';
import { cancelledInviteKey, clientKey, responseKey, serverKey } from './keys.js';
import { NonInviteClientTransaction } from './non-invite-client.js';
import { NonInviteServerTransaction } from './non-invite-server.js';
import type { ServerTransaction } from './server-transaction.js';
import { DEFAULT_TIMERS, type TimerSettings } from './timers.js';

/** What the transaction layer hands to its user (the proxy core). */
export interface TransactionUser {
  /**
   * A new request with its new server transaction; an ACK has none (`transaction` undefined): the ACK of a 2xx, or
   * one that matched no INVITE transaction, to be forwarded statelessly.
   */
  request(request: SipRequest, source: MessageSource, transaction: ServerTransaction | undefined): void;
  /** A response that matched no client transaction (RFC 3261 16.7: forwarded statelessly when it can be). */
  strayResponse(response: SipResponse, source: MessageSource): void;
}

export interface TransactionLayerOptions {
  readonly sender: TransactionSender;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly timers?: TimerSettings;
}

/**
 * The transaction layer (RFC 3261 section 17): the tables of server and client transactions, matching of incoming
 * messages to them, and the start of client transactions. Retransmitted requests and the ACKs of non-2xx answers
 * are absorbed here and never reach the proxy core, so a retransmitted INVITE is never forwarded twice.
 */
export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly context: TransactionContext;
  private user: TransactionUser | undefined;
  /** Running totals, for logs and tests. */
  readonly counters = { retransmissionsAbsorbed: 0, acksAbsorbed: 0, strayResponses: 0 };

  constructor(options: TransactionLayerOptions) {
    this.context = {
      clock: options.clock ?? systemClock,
      timers: options.timers ?? DEFAULT_TIMERS,
      sender: options.sender,
      log: options.log,
      forget: (key, transaction) => {
        if (this.servers.get(key) === transaction) this.servers.delete(key);
        else if (this.clients.get(key) === transaction) this.clients.delete(key);
      },
    };
  }

  get clock(): Clock {
    return this.context.clock;
  }

  get timers(): TimerSettings {
    return this.context.timers;
  }

  setUser(user: TransactionUser): void {
    this.user = user;
  }

  /** How many transactions are alive (server, client). */
  get size(): { server: number; client: number } {
    return { server: this.servers.size, client: this.clients.size };
  }

  /** Every message from the transports comes here. */
  receive(message: SipMessage, source: MessageSource): void {
    if (message instanceof SipRequest) this.receiveRequest(message, source);
    else this.receiveResponse(message as SipResponse, source);
  }

  /** The INVITE server transaction a CANCEL is for (RFC 3261 9.2), if it is still here. */
  inviteFor(cancel: SipRequest): InviteServerTransaction | undefined {
    const found = this.servers.get(cancelledInviteKey(cancel));
    return found instanceof InviteServerTransaction ? found : undefined;
  }

  /**
   * Starts a client transaction for `request` (its top Via must carry a new, unique branch) to `destination`.
   * ACK is not a transaction: send it with the sender directly.
   */
  sendRequest(request: SipRequest, destination: Destination, events: ClientTransactionEvents): ClientTransaction {
    const branch = request.topVia().branch;
    if (branch === undefined) throw new TypeError('a client transaction needs a branch in its top Via');
    const key = clientKey(branch, request.method);
    const transaction =
      request.method === 'INVITE'
        ? new InviteClientTransaction(key, request, destination, this.context, events, (cancel, to) =>
            this.sendCancel(cancel, to),
          )
        : new NonInviteClientTransaction(key, request, destination, this.context, events);
    this.clients.set(key, transaction);
    transaction.start();
    return transaction;
  }

  private receiveRequest(request: SipRequest, source: MessageSource): void {
    const user = this.user;
    if (!user) return;
    const key = serverKey(request);
    const existing = this.servers.get(key);
    if (request.method === 'ACK') {
      // The ACK of our non-2xx final answer ends that transaction's retransmissions; any other ACK (the ACK of a 2xx
      // has a branch of its own) goes on, statelessly.
      if (
        existing instanceof InviteServerTransaction &&
        (existing.state === 'completed' || existing.state === 'confirmed')
      ) {
        this.counters.acksAbsorbed++;
        existing.ack();
        return;
      }
      user.request(request, source, undefined);
      return;
    }
    if (existing) {
      this.counters.retransmissionsAbsorbed++;
      existing.retransmitted();
      return;
    }
    const transaction =
      request.method === 'INVITE'
        ? new InviteServerTransaction(key, request, source, this.context)
        : new NonInviteServerTransaction(key, request, source, this.context);
    this.servers.set(key, transaction);
    user.request(request, source, transaction);
  }

  private receiveResponse(response: SipResponse, source: MessageSource): void {
    const key = responseKey(response);
    const transaction = key === undefined ? undefined : this.clients.get(key);
    if (transaction) {
      transaction.received(response);
      return;
    }
    this.counters.strayResponses++;
    this.user?.strayResponse(response, source);
  }

  private sendCancel(cancel: SipRequest, destination: Destination): void {
    // Nobody waits on the CANCEL's own answer: the INVITE's final response (487, or a 2xx that crossed it) matters.
    this.sendRequest(cancel, destination, {
      response: () => undefined,
      timeout: () => undefined,
      transportError: () => undefined,
    });
  }
}
