/* The SIP transports: UDP and TCP listeners, connections, per-source limits, RFC 3581. */
export { TransportCounters } from './counters.js';
export { applyReceived, responseDestination } from './received.js';
export { SourceRateLimiter } from './source-limiter.js';
export { SipTransportLayer, type TransportLayerOptions } from './transport-layer.js';
export {
  DEFAULT_TRANSPORT_LIMITS,
  SipTransportError,
  type Destination,
  type Endpoint,
  type ListenSpec,
  type MessageHandler,
  type MessageSource,
  type SendFailure,
  type TransportLimits,
  type TransportName,
} from './types.js';
