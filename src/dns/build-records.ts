import { isIPv6 } from 'node:net';
import type { ClusterDefinition } from '../config/schema.js';
import type { DnsRecord, RecordContent, SoaFields } from './record-set.js';

/** What the builder needs to know about one node (from its heartbeat, as the leader's snapshot has it). */
export interface NodeHealthInput {
  id: string;
  state: 'online' | 'standby' | 'offline';
  /** The node's address; undefined when its heartbeat has expired. */
  address: string | undefined;
  /** The node's resources as it last reported them. */
  resources: readonly { id: string; state: string }[] | undefined;
}

export interface BuildInput {
  definition: Pick<ClusterDefinition, 'service' | 'dns' | 'resources'>;
  leader: string;
  nodes: readonly NodeHealthInput[];
  /** The set published before: an offline node keeps the address it had there (it stays a name server). */
  previous?: RecordContent | undefined;
}

/** SRV priorities: clients try the leader first, the other healthy nodes when it fails. */
const LEADER_PRIORITY = 10;
const OTHER_PRIORITY = 20;
/** Equal weights within a priority (RFC 2782: a weighted random choice among the same priority). */
const WEIGHT = 50;
/** Nominal SOA timers: no secondary transfers this zone (every node serves it from the control plane). */
const SOA_REFRESH_S = 300;
const SOA_RETRY_S = 60;
const SOA_EXPIRE_S = 86_400;

/** The zone the server is authoritative for: `service.zone`, else the parent of the service name. */
export function zoneOf(service: ClusterDefinition['service']): string {
  if (service.zone) return service.zone.toLowerCase();
  return service.name.toLowerCase().split('.').slice(1).join('.');
}

/** The SRV owner names of RFC 3263 for the service name, with the transport each one is for. */
export function srvNames(serviceName: string) {
  return {
    sips: `_sips._tcp.${serviceName}`,
    sipTcp: `_sip._tcp.${serviceName}`,
    sipUdp: `_sip._udp.${serviceName}`,
  };
}

/**
 * The records the service zone holds now, as a pure function of the definition and the nodes' health:
 * - `vip` mode (the definition has `service.vip`): the service name answers the VIP; the SRV records point at it;
 * - `nodes` mode: the service name answers every healthy node (online, not standby, its health resource started
 *   when the definition has one), the leader first; in SRV the leader has the better priority. With no healthy
 *   node at all it answers every online node rather than nothing (`degraded` says so).
 * Every node with a known address gets a host name `<id>.<zone>`: the zone's NS records and the SRV targets.
 */
export function buildRecordSet(input: BuildInput): RecordContent {
  const { definition, leader } = input;
  const zone = zoneOf(definition.service);
  const serviceName = definition.service.name.toLowerCase();
  const ttl = definition.dns.ttlS;
  const vip = definition.service.vip ? (definition.service.vip.split('/')[0] ?? null) : null;
  const mode = vip ? 'vip' : 'nodes';
  const hostName = (id: string) => `${id}.${zone}`;

  const known = new Map<string, string>();
  for (const node of input.previous?.nodes ?? []) known.set(node.id, node.address);
  const nodes = [...input.nodes]
    .sort((a, b) => a.id.localeCompare(b.id))
    .flatMap((node) => {
      const address = node.address ?? known.get(node.id);
      return address ? [{ id: node.id, address }] : [];
    });
  const addressOf = new Map(nodes.map((node) => [node.id, node.address]));

  const health = mode === 'nodes' ? nodesHealth(input) : { answering: [], leftOut: [], degraded: null };
  const records: DnsRecord[] = [];
  const add = (record: DnsRecord) => records.push(record);
  const addressRecord = (name: string, address: string): DnsRecord =>
    isIPv6(address) ? { name, type: 'AAAA', ttl, data: address } : { name, type: 'A', ttl, data: address };

  // The zone apex: every node is a name server (an empty set is no zone: the leader's name stands in).
  const nameServers = nodes.length > 0 ? nodes.map((node) => hostName(node.id)) : [hostName(leader)];
  for (const server of nameServers) add({ name: zone, type: 'NS', ttl, data: server });

  for (const node of nodes) {
    if (hostName(node.id) !== serviceName) add(addressRecord(hostName(node.id), node.address));
  }

  const targets =
    mode === 'vip'
      ? [{ target: serviceName, priority: LEADER_PRIORITY }]
      : health.answering.map((id) => ({
          target: hostName(id),
          priority: id === leader ? LEADER_PRIORITY : OTHER_PRIORITY,
        }));
  const serviceAddresses = mode === 'vip' ? [vip!] : health.answering.map((id) => addressOf.get(id)!);
  for (const address of serviceAddresses) add(addressRecord(serviceName, address));

  const srv = srvNames(serviceName);
  const { sips, sip } = definition.dns.ports;
  for (const [name, port] of [
    [srv.sips, sips],
    [srv.sipTcp, sip],
    [srv.sipUdp, sip],
  ] as const) {
    for (const { target, priority } of targets)
      add({ name, type: 'SRV', ttl, data: { priority, weight: WEIGHT, port, target } });
  }

  // RFC 3263 section 4.1: TLS preferred, then TCP, then UDP. Linphone skips NAPTR; SBCs and other proxies use it.
  const naptr = [
    { order: 10, services: 'SIPS+D2T', replacement: srv.sips },
    { order: 20, services: 'SIP+D2T', replacement: srv.sipTcp },
    { order: 30, services: 'SIP+D2U', replacement: srv.sipUdp },
  ];
  for (const { order, services, replacement } of naptr) {
    add({
      name: serviceName,
      type: 'NAPTR',
      ttl,
      data: { order, preference: 10, flags: 's', services, regexp: '', replacement },
    });
  }

  const soa: SoaFields = {
    mname: hostName(leader),
    rname: `hostmaster.${zone}`,
    refresh: SOA_REFRESH_S,
    retry: SOA_RETRY_S,
    expire: SOA_EXPIRE_S,
    minimum: ttl,
  };
  return {
    mode,
    zone,
    serviceName,
    ttlS: ttl,
    port: definition.dns.port,
    vip,
    soa,
    nodes,
    answering: health.answering,
    leftOut: health.leftOut,
    degraded: health.degraded,
    records,
  };
}

/** Nodes mode: who answers (the leader first, then node order), who is left out and why. */
function nodesHealth(input: BuildInput): Pick<RecordContent, 'answering' | 'leftOut' | 'degraded'> {
  const { definition, leader } = input;
  const healthResource = definition.dns.healthResource;
  const checked = definition.resources.some((resource) => resource.id === healthResource);
  const ordered = [...input.nodes].sort((a, b) =>
    a.id === leader ? -1 : b.id === leader ? 1 : a.id.localeCompare(b.id),
  );
  const answering: string[] = [];
  const leftOut: { node: string; reason: string }[] = [];
  for (const node of ordered) {
    const why = whyLeftOut(node, checked ? healthResource : undefined);
    if (why) leftOut.push({ node: node.id, reason: why });
    else answering.push(node.id);
  }
  if (answering.length > 0) return { answering, leftOut, degraded: null };
  // Nothing healthy: every online node is a better answer than none (clients then fail per address, not at once).
  const online = ordered.filter((node) => node.state === 'online' && node.address).map((node) => node.id);
  const degraded =
    online.length > 0
      ? `no healthy node: answering every online node (${online.join(', ')})`
      : 'no online node with a known address: the service name has no address records';
  return { answering: online, leftOut, degraded };
}

function whyLeftOut(node: NodeHealthInput, healthResource: string | undefined): string | undefined {
  if (node.state === 'offline') return 'offline (no heartbeat)';
  if (node.state === 'standby') return 'standby';
  if (!node.address) return 'address unknown';
  if (healthResource === undefined) return undefined;
  const state = node.resources?.find((resource) => resource.id === healthResource)?.state;
  if (state === 'started') return undefined;
  return `${healthResource} ${state ?? 'not reported'}`;
}
