/*
 * The status endpoint of stg-sip-proxy for the local agent: /metrics, /status, /health. See src/sip/README.md,
 * section "status/".
 */
export { DEFAULT_STATUS_ADDRESS, DEFAULT_STATUS_PORT, statusSchema, type StatusConfig } from './config.js';
export { DataStoreProbe, type DataStoreState } from './data-store-probe.js';
export { healthReply, type HealthReply } from './health.js';
export { SipProxyMetrics, type SipProxyMetricsOptions } from './metrics.js';
export * from './readings.js';
export { matchStatusRoute, STATUS_PATHS, type StatusRoute } from './routes.js';
export { StatusListenError, startStatusServer, type StatusServer } from './server.js';
export { statusSnapshot, type StatusSnapshot } from './snapshot.js';
export type { StatusSources } from './sources.js';
export { startSipStatus } from './start.js';
