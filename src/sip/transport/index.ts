/*
 * The SIP transports: UDP, and the stream transports TCP, TLS, WebSocket and WSS (RFC 7118) with their flows,
 * per-source limits, the PROXY protocol behind HAProxy, RFC 3581.
 */
export { TransportCounters } from './counters.js';
export {
  MAX_PROXY_V2_BYTES,
  PROXY_V2_SIGNATURE,
  readProxyHeader,
  startsWithProxyHeader,
  type ProxyHeader,
} from './proxy-protocol.js';
export { applyReceived, responseDestination } from './received.js';
export { SourceRateLimiter } from './source-limiter.js';
export { TlsFileError, readTlsClientFiles, readTlsFiles } from './tls-context.js';
export { SipTransportLayer, type TransportLayerOptions } from './transport-layer.js';
export {
  DEFAULT_TRANSPORT_LIMITS,
  STREAM_TRANSPORTS,
  SipTransportError,
  isStreamTransport,
  type Destination,
  type Endpoint,
  type ListenSpec,
  type MessageHandler,
  type MessageSource,
  type ProxiedBy,
  type SendFailure,
  type StreamTransportName,
  type TlsClientOptions,
  type TlsFiles,
  type TransportLimits,
  type TransportName,
} from './types.js';
