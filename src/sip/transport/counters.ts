import type { TransportName } from './types.js';

/** `SIP/2.0 ` in lower case: a message starting so (in any case, RFC 3261 7.1) is a response. */
const STATUS_LINE_START = Buffer.from('sip/2.0 ', 'latin1');

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
  /** Open connections of every stream transport, and of TLS and WebSocket (ws and wss; of which wss) alone. */
  tcpConnectionsOpen = 0;
  tlsConnectionsOpen = 0;
  wsConnectionsOpen = 0;
  wssConnectionsOpen = 0;
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
  /** Well-formed messages handed to the handler, by the transport that brought them (they add up to `delivered`). */
  deliveredUdp = 0;
  deliveredTcp = 0;
  deliveredTls = 0;
  deliveredWs = 0;
  deliveredWss = 0;
  /**
   * Responses written by `send` (the proxy's, the registrar's, retransmissions over UDP, 400s to malformed UDP
   * requests), by class. Plain fields rather than a map so that `snapshot()` stays flat.
   */
  responses1xx = 0;
  responses2xx = 0;
  responses3xx = 0;
  responses4xx = 0;
  responses5xx = 0;
  responses6xx = 0;

  /** Counts one message handed to the handler, by its transport. */
  countDelivered(transport: TransportName): void {
    if (transport === 'udp') this.deliveredUdp++;
    else if (transport === 'tcp') this.deliveredTcp++;
    else if (transport === 'tls') this.deliveredTls++;
    else if (transport === 'ws') this.deliveredWs++;
    else this.deliveredWss++;
  }

  /**
   * Counts bytes just sent when they are a response, by the first digit of the status code. Read from the bytes
   * because transactions send their responses as bytes (kept for retransmission), not as SipResponse objects.
   */
  countSent(bytes: Buffer): void {
    if (bytes.length < 12) return;
    for (let i = 0; i < STATUS_LINE_START.length; i++) {
      // Letters to lower case (| 0x20 leaves '/', '2', '.', '0' and the space unchanged).
      if ((bytes[i]! | 0x20) !== STATUS_LINE_START[i]) return;
    }
    switch (bytes[8]) {
      case 0x31:
        this.responses1xx++;
        break;
      case 0x32:
        this.responses2xx++;
        break;
      case 0x33:
        this.responses3xx++;
        break;
      case 0x34:
        this.responses4xx++;
        break;
      case 0x35:
        this.responses5xx++;
        break;
      case 0x36:
        this.responses6xx++;
        break;
    }
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(Object.entries(this)) as Record<string, number>;
  }
}
