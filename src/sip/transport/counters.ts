/**
 * What the transports did, as running totals (and the open connections as a gauge): for logs, metrics and tests.
 * Plain numbers, incremented on the hot path.
 */
export class TransportCounters {
  /** Datagrams and stream messages read (before any check). */
  received = 0;
  /** Messages handed to the message handler. */
  delivered = 0;
  sent = 0;
  sendFailures = 0;
  /** Malformed messages answered (400, 505, 513) and dropped. */
  answeredMalformed = 0;
  droppedMalformed = 0;
  /** Messages dropped because their source was over its rate. */
  rateLimited = 0;
  /** CRLF keep-alives seen (TCP ones answered). */
  keepAlives = 0;
  tcpConnectionsOpened = 0;
  /** TCP connections refused or closed by a limit (per source, in all, a peer that does not read). */
  tcpConnectionsRefused = 0;
  tcpConnectionsOpen = 0;
  /** The message handler threw: a bug, logged with its stack; the transports went on. */
  handlerErrors = 0;

  snapshot(): Record<string, number> {
    return Object.fromEntries(Object.entries(this)) as Record<string, number>;
  }
}
