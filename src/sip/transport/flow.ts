import type { SipMessage, SipParseError } from '../message/index.js';
import type { Endpoint, ProxiedBy, StreamTransportName } from './types.js';

/** What identifies a flow: fixed when it opens. */
export interface FlowInfo {
  /** Random and unguessable: the registrar stores it with a binding (fs-conn-id). */
  readonly id: string;
  readonly transport: StreamTransportName;
  /** The peer: for a listener behind HAProxy, the client named by the PROXY header. */
  readonly remote: Endpoint;
  readonly local: Endpoint;
  /** True when the peer connected to us. */
  readonly accepted: boolean;
  readonly proxy?: ProxiedBy | undefined;
  /** A TLS connection we opened: the name its certificate was checked against. */
  readonly serverName?: string | undefined;
}

/**
 * One connection carrying SIP (RFC 5626 calls it a flow): TCP or TLS with Content-Length framing, or a WebSocket
 * with one SIP message per WebSocket message. The transport layer keeps them in one table.
 */
export interface Flow extends FlowInfo {
  /** False once closing or closed: nothing more can be sent on it. */
  readonly open: boolean;
  /** Sends one SIP message (TCP and TLS: any bytes). False when the flow is closing, closed or was cut off. */
  write(bytes: Buffer): boolean;
  /** Flushes what was written, then closes. */
  close(): void;
  destroy(): void;
}

/** What a flow reports to the transports. */
export interface FlowEvents {
  message(flow: Flow, message: SipMessage): void;
  keepAlive(flow: Flow): void;
  /** A message that could not be read; with `fatal` the flow is closing once the answer (if any) is written. */
  malformed(flow: Flow, error: SipParseError, fatal: boolean): void;
  /** The peer broke the rules of its framing (a WebSocket frame); the flow is closing. */
  protocolError(flow: Flow, reason: string): void;
  closed(flow: Flow): void;
  /** Reading threw something other than SipParseError: a bug. The flow is closed; the process goes on. */
  bug(flow: Flow, error: unknown): void;
}
