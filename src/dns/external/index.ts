/** The external DNS updater as the leader and the config loader use it (RFC 2136 + TSIG through nsupdate). */
export { ExternalZoneUpdater } from './updater.js';
export type { ExternalUpdateStatus } from './status.js';
export type { DesiredRecords } from './records.js';
export {
  DEFAULT_EXTERNAL_DNS,
  dnsExternalKeyFileField,
  externalDnsSchema,
  parseExternalDnsConfig,
  type ExternalDnsConfig,
  type ExternalDnsDefinition,
} from './config.js';
