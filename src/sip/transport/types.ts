import { ClusterError } from '../../errors.js';
import type { SipMessage } from '../message/index.js';

/** `udp` is datagrams; the others are streams, each connection a flow with an id. */
export type TransportName = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** The transports that run over a connection (TCP underneath). */
export type StreamTransportName = Exclude<TransportName, 'udp'>;

export const STREAM_TRANSPORTS: readonly StreamTransportName[] = Object.freeze(['tcp', 'tls', 'ws', 'wss']);

export function isStreamTransport(transport: TransportName): transport is StreamTransportName {
  return transport !== 'udp';
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** The certificate and key of a TLS listener (files, PEM), and the CA that client certificates must chain to. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** When given, every client must present a certificate issued by this CA (mutual TLS); otherwise none is asked. */
  readonly caFile?: string | undefined;
}

/**
 * An address and port to listen on. Port 0 lets the kernel choose (tests); `listeners()` tells the port taken.
 * `tls` is required for tls and wss. `behindProxy` marks a listener fed by HAProxy's `send-proxy-v2`: every
 * connection there must start with a PROXY protocol header (v2 or v1), which names the real client; everywhere else
 * such a header closes the connection. `path` is the HTTP path a ws/wss upgrade must ask for ('/' when absent: any).
 */
export interface ListenSpec extends Endpoint {
  readonly transport: TransportName;
  readonly tls?: TlsFiles | undefined;
  readonly behindProxy?: boolean | undefined;
  readonly path?: string | undefined;
}

/** How we connect out over TLS (sips: targets, transport=tls): whom we trust, and our own certificate if any. */
export interface TlsClientOptions {
  /** CA certificates (PEM file) to trust instead of the system's. */
  readonly caFile?: string | undefined;
  /** A client certificate and key, for peers that ask for one. */
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  /** False accepts any server certificate: for a lab only. Default true. */
  readonly verifyServer?: boolean | undefined;
}

/**
 * Where a message came from. For streams, `connectionId` names the connection (the registrar's fs-conn-id). On a
 * listener behind HAProxy, address and port are the client's, from the PROXY header; `proxy` tells HAProxy's end and
 * the address the client had connected to.
 */
export interface MessageSource extends Endpoint {
  readonly transport: TransportName;
  /** The listening address and port it arrived on (for connections we opened: our local end). */
  readonly local: Endpoint;
  readonly connectionId?: string;
  readonly proxy?: ProxiedBy;
}

export interface ProxiedBy {
  /** HAProxy's end of the connection. */
  readonly peer: Endpoint;
  /** The address and port the client connected to (HAProxy's frontend, often the VIP). */
  readonly destination?: Endpoint;
}

/**
 * Where to send. For streams, `connectionId` asks for that connection; when it is gone, a new TCP or TLS connection
 * is opened to address:port unless `connectionOnly` is set (a device behind NAT can only be reached on the flow it
 * opened). WebSocket flows are always connection-only: a browser cannot be connected to. For TLS, `serverName` is
 * the name sent in SNI and checked against the server's certificate (the host of the sips: URI; the address when
 * absent). For UDP, `local` picks the socket to send from (the one the request reached, so that NATs let the answer
 * in).
 */
export interface Destination extends Endpoint {
  readonly transport: TransportName;
  readonly connectionId?: string;
  readonly connectionOnly?: boolean;
  readonly local?: Endpoint;
  readonly serverName?: string;
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
  /** Open connections (TCP, TLS, WS and WSS together) one source address may hold. */
  readonly tcpConnectionsPerSource: number;
  /** Open connections in all, of every stream transport. */
  readonly maxTcpConnections: number;
  /** A connection with no traffic for this long is closed (keep-alives count as traffic). */
  readonly tcpIdleTimeoutMs: number;
  readonly tcpConnectTimeoutMs: number;
  /** Time a new connection has for its PROXY header, its TLS handshake and its WebSocket upgrade, together. */
  readonly handshakeTimeoutMs: number;
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
  handshakeTimeoutMs: 10_000,
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
