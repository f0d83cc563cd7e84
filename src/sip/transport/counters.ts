/**
 * What the transports did, as running totals (and the open connections as gauges): for logs, metrics and tests.
 * Plain numbers, incremented on the hot path. "tcp" in a name means any stream transport (TCP, TLS, WS, WSS).
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
  /** CRLF keep-alives seen (stream ones answered), WebSocket pings answered. */
  keepAlives = 0;
  tcpConnectionsOpened = 0;
  /** Connections refused or closed by a limit (per source, in all, a peer that does not read). */
  tcpConnectionsRefused = 0;
  /** Open connections of every stream transport, and of TLS and WebSocket (ws and wss) alone. */
  tcpConnectionsOpen = 0;
  tlsConnectionsOpen = 0;
  wsConnectionsOpen = 0;
  /** TLS handshakes that failed (bad client hello, no or bad client certificate, timeout), ours or theirs. */
  tlsHandshakesFailed = 0;
  /** TLS handshakes that resumed a session (a ticket): the cheap reconnection. */
  tlsSessionsResumed = 0;
  /** WebSocket upgrades answered with an HTTP error (no `sip` subprotocol, bad version, wrong path...). */
  wsUpgradesRefused = 0;
  /** WebSocket connections closed for breaking RFC 6455 (unmasked, bad opcode, too large, bad UTF-8...). */
  wsProtocolErrors = 0;
  /** PROXY headers read on listeners behind HAProxy. */
  proxyHeadersAccepted = 0;
  /** Connections closed on a listener behind HAProxy for a missing or malformed PROXY header. */
  proxyHeadersMissing = 0;
  /** Connections closed for starting with a PROXY header on a listener not marked for it. */
  proxyHeadersRefused = 0;
  /** Connections closed for not finishing PROXY header, TLS handshake and upgrade in time. */
  handshakeTimeouts = 0;
  /** The message handler threw: a bug, logged with its stack; the transports went on. */
  handlerErrors = 0;

  snapshot(): Record<string, number> {
    return Object.fromEntries(Object.entries(this)) as Record<string, number>;
  }
}
