import { ClusterError } from '../../errors.js';
import type { SipMessage } from '../message/index.js';

export type TransportName = 'udp' | 'tcp';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** An address and port to listen on. Port 0 lets the kernel choose (tests); `listeners()` tells the port taken. */
export interface ListenSpec extends Endpoint {
  readonly transport: TransportName;
}

/** Where a message came from. For TCP, `connectionId` names the connection (the registrar's fs-conn-id). */
export interface MessageSource extends Endpoint {
  readonly transport: TransportName;
  /** The listening address and port it arrived on (for TCP connections we opened: our local end). */
  readonly local: Endpoint;
  readonly connectionId?: string;
}

/**
 * Where to send. For TCP, `connectionId` asks for that connection; when it is gone, a new connection is opened to
 * address:port unless `connectionOnly` is set (a device behind NAT can only be reached on the flow it opened).
 * For UDP, `local` picks the socket to send from (the one the request reached, so that NATs let the answer in).
 */
export interface Destination extends Endpoint {
  readonly transport: TransportName;
  readonly connectionId?: string;
  readonly connectionOnly?: boolean;
  readonly local?: Endpoint;
}

/** Receives each well-formed message. It may be async; a throw or a rejection is logged as a bug and counted. */
export type MessageHandler = (message: SipMessage, source: MessageSource) => void | Promise<void>;

/** The limits the transports enforce on their peers. */
export interface TransportLimits {
  /** Largest message read or sent, head and body (a bigger datagram is answered 513 when possible). */
  readonly maxMessageBytes: number;
  readonly maxHeaders: number;
  /** Messages per second one source address may send (token bucket), and the burst it may save up. */
  readonly messagesPerSecondPerSource: number;
  readonly burstPerSource: number;
  /** Open TCP connections one source address may hold. */
  readonly tcpConnectionsPerSource: number;
  /** Open TCP connections in all. */
  readonly maxTcpConnections: number;
  /** A TCP connection with no traffic for this long is closed (keep-alives count as traffic). */
  readonly tcpIdleTimeoutMs: number;
  readonly tcpConnectTimeoutMs: number;
  /** Bytes queued for a peer that does not read; past it, its connection is closed. */
  readonly tcpMaxQueuedBytes: number;
  /** SO_RCVBUF asked for each UDP socket (the kernel caps it at net.core.rmem_max). */
  readonly udpReceiveBufferBytes: number;
  /** Addresses that no per-source limit applies to (the PBX, HAProxy, a benchmark on loopback). */
  readonly exemptSources: readonly string[];
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = Object.freeze({
  maxMessageBytes: 65535,
  maxHeaders: 128,
  messagesPerSecondPerSource: 200,
  burstPerSource: 400,
  tcpConnectionsPerSource: 32,
  maxTcpConnections: 50_000,
  tcpIdleTimeoutMs: 600_000,
  tcpConnectTimeoutMs: 5_000,
  tcpMaxQueuedBytes: 1 << 20,
  udpReceiveBufferBytes: 4 << 20,
  exemptSources: Object.freeze([]) as readonly string[],
});

export type SendFailure = 'no-listener' | 'no-connection' | 'connect-failed' | 'too-large' | 'send-failed' | 'closed';

/**
 * A send that could not be done: no listener for the address family, the connection gone or refused, the message
 * too large, the transports closed. For the proxy this is a transport error (RFC 3261 16.7: like a 503).
 */
export class SipTransportError extends ClusterError {
  constructor(
    readonly failure: SendFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('STG_ERR_SIP_TRANSPORT', message, options);
  }
}
