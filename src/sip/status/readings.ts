import type { PushWaitCounters } from '../proxy/push-wait.js';
import type { RegistrarCounters } from '../registrar/registrar.js';
import type { TransportCounters, TransportName } from '../transport/index.js';
import type { StatusSources } from './sources.js';

/*
 * The proxy's counters under the names /metrics and /status give them. Closed sets of label values, each mapped
 * here once, so that the two views always agree.
 */

/** How REGISTERs ended (the registrar's counters). */
export const REGISTER_RESULTS = [
  'stored',
  'removed',
  'fetched',
  'retransmission',
  'rejected',
  'overload',
  'store_failed',
] as const;
export type RegisterResult = (typeof REGISTER_RESULTS)[number];

export function registerResults(counters: RegistrarCounters): Record<RegisterResult, number> {
  return {
    stored: counters.stored,
    removed: counters.removed,
    fetched: counters.fetched,
    retransmission: counters.retransmissions,
    rejected: counters.rejected,
    overload: counters.overloaded,
    store_failed: counters.storeFailures,
  };
}

export const RESPONSE_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'] as const;
export type ResponseClass = (typeof RESPONSE_CLASSES)[number];

export function responseClasses(counters: TransportCounters): Record<ResponseClass, number> {
  return {
    '1xx': counters.responses1xx,
    '2xx': counters.responses2xx,
    '3xx': counters.responses3xx,
    '4xx': counters.responses4xx,
    '5xx': counters.responses5xx,
    '6xx': counters.responses6xx,
  };
}

export const MESSAGE_TRANSPORTS: readonly TransportName[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/** Well-formed messages handed to the proxy, by transport (malformed ones are parse errors, rate-limited overload). */
export function messagesReceived(counters: TransportCounters): Record<TransportName, number> {
  return {
    udp: counters.deliveredUdp,
    tcp: counters.deliveredTcp,
    tls: counters.deliveredTls,
    ws: counters.deliveredWs,
    wss: counters.deliveredWss,
  };
}

/** Malformed messages, answered (400, 505, 513) or dropped. */
export function parseErrors(counters: TransportCounters): number {
  return counters.answeredMalformed + counters.droppedMalformed;
}

export interface FlowCounts {
  readonly tcp: number;
  readonly tls: number;
  readonly ws: number;
  readonly wss: number;
  readonly total: number;
}

/** Open stream connections by transport (the transports count ws and wss together, and wss alone). */
export function flowCounts(counters: TransportCounters): FlowCounts {
  const websocket = counters.wsConnectionsOpen;
  const tls = counters.tlsConnectionsOpen;
  return {
    tcp: Math.max(0, counters.tcpConnectionsOpen - tls - websocket),
    tls,
    ws: Math.max(0, websocket - counters.wssConnectionsOpen),
    wss: counters.wssConnectionsOpen,
    total: counters.tcpConnectionsOpen,
  };
}

/**
 * Requests or connections refused because the proxy (or a source) was over a limit: REGISTERs answered 503 at once
 * (maxInFlight, or Redis not connected), requests not allowed to wait for a push (maxPending: 503), connections
 * refused or closed by a connection limit, messages dropped over a source's rate.
 */
export const OVERLOAD_REASONS = ['register', 'push_wait', 'connections', 'rate'] as const;
export type OverloadReason = (typeof OVERLOAD_REASONS)[number];

export function overloadRejections(sources: StatusSources): Record<OverloadReason, number> {
  const transport = sources.transports.counters;
  return {
    register: sources.registrar?.counters.overloaded ?? 0,
    push_wait: sources.pushWaits?.counters.overloaded ?? 0,
    connections: transport.tcpConnectionsRefused,
    rate: transport.rateLimited,
  };
}

/** How requests that waited for a push ended (refusals at maxPending are overload rejections, not here). */
export const PUSH_WAIT_OUTCOMES = ['answered', 'cancelled', 'timed_out', 'gone'] as const;
export type PushWaitOutcome = (typeof PUSH_WAIT_OUTCOMES)[number];

export function pushWaitOutcomes(counters: PushWaitCounters): Record<PushWaitOutcome, number> {
  return {
    answered: counters.answered,
    cancelled: counters.cancelled,
    timed_out: counters.timedOut,
    gone: counters.gone,
  };
}

export function sum(values: Record<string, number>): number {
  return Object.values(values).reduce((total, value) => total + value, 0);
}
