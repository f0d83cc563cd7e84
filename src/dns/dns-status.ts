import type { ControlPlane } from '../store/control-plane.js';
import { readExternalDnsReport, type ExternalDnsReport } from './external-report.js';
import { contentOf, type DnsRecord, type PublishedRecordSet, type RecordContent } from './record-set.js';
import { readServerStates, type DnsServerState } from './server-state.js';

/** `clusterctl dns --json`: the published record set and each node's server, in a stable shape. */
export interface DnsStatus {
  published:
    | (RecordContent & {
        term: number;
        version: number;
        leader: string;
        publishedAt: string;
        /** The records as zone-file lines, the SOA first (its serial is the version). */
        zoneFile: string[];
      })
    | null;
  servers: {
    node: string;
    /** current: serves the published set; behind: an older one; waiting: none yet; expired: no state for 5 s. */
    status: 'current' | 'behind' | 'waiting' | 'expired';
    pid: number | null;
    listening: string[];
    notListening: string[];
    serving: { term: number; version: number } | null;
    lastReadAgeMs: number | null;
    lastError: string | null;
    counters: DnsServerState['counters'] | null;
  }[];
  /** The leader's external DNS updater (RFC 2136), when one reported in the last 5 s. */
  external: ExternalDnsReport | null;
}

/** Reads the published set (majority: throws NoQuorumError without one) and every server's state. */
export async function readDnsStatus(plane: ControlPlane): Promise<DnsStatus> {
  const [stored, states, external] = await Promise.all([
    plane.readVersioned<PublishedRecordSet>(plane.keys.dnsRecords),
    readServerStates(plane),
    readExternalDnsReport(plane).catch(() => undefined),
  ]);
  const published = stored
    ? {
        ...contentOf(stored.value),
        term: stored.term,
        version: stored.version,
        leader: stored.value.leader,
        publishedAt: stored.value.publishedAt,
        zoneFile: zoneFileLines(stored.value, stored.version),
      }
    : null;
  const now = Date.now();
  const servers = states.map(({ node, state }) => {
    const serving = state?.serving ? { term: state.serving.term, version: state.serving.version } : null;
    const status: DnsStatus['servers'][number]['status'] = !state
      ? 'expired'
      : !serving
        ? 'waiting'
        : published && serving.term === published.term && serving.version === published.version
          ? 'current'
          : 'behind';
    return {
      node,
      status,
      pid: state?.pid ?? null,
      listening: (state?.endpoints ?? [])
        .filter((endpoint) => endpoint.udp && endpoint.tcp)
        .map((endpoint) => endpointLabel(endpoint.address, endpoint.port)),
      notListening: (state?.endpoints ?? [])
        .filter((endpoint) => endpoint.error)
        .map((endpoint) => `${endpointLabel(endpoint.address, endpoint.port)}: ${endpoint.error}`),
      serving,
      lastReadAgeMs: state?.lastReadAt ? Math.max(0, now - Date.parse(state.lastReadAt)) : null,
      lastError: state?.lastError ?? null,
      counters: state?.counters ?? null,
    };
  });
  return { published, servers, external: external ?? null };
}

function endpointLabel(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The set as an operator knows it from zone files (and dig): `name. TTL IN TYPE data`. */
export function zoneFileLines(set: RecordContent, serial: number): string[] {
  const fqdn = (name: string) => `${name}.`;
  const { soa } = set;
  const soaLine = `${fqdn(set.zone)} ${set.ttlS} IN SOA ${fqdn(soa.mname)} ${fqdn(soa.rname)} ${serial} ${soa.refresh} ${soa.retry} ${soa.expire} ${soa.minimum}`;
  return [
    soaLine,
    ...set.records.map((record) => `${fqdn(record.name)} ${record.ttl} IN ${record.type} ${dataText(record)}`),
  ];
}

function dataText(record: DnsRecord): string {
  switch (record.type) {
    case 'SRV':
      return `${record.data.priority} ${record.data.weight} ${record.data.port} ${record.data.target}.`;
    case 'NAPTR': {
      const { order, preference, flags, services, regexp, replacement } = record.data;
      return `${order} ${preference} "${flags}" "${services}" "${regexp}" ${replacement}.`;
    }
    case 'NS':
      return `${record.data}.`;
    default:
      return record.data;
  }
}
