/*
 * The DNS record set as the leader publishes it in the control plane (JSON, fenced by its term) and as every node's
 * DNS server reads it. The SOA serial is not part of it: the server writes the published version there, so two
 * sets with the same records compare equal whatever version they were published under.
 */

export type DnsMode = 'vip' | 'nodes';

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface NaptrData {
  order: number;
  preference: number;
  flags: string;
  services: string;
  regexp: string;
  replacement: string;
}

/** One resource record; names are lower case, without the trailing dot. */
export type DnsRecord =
  | { name: string; type: 'A' | 'AAAA' | 'NS'; ttl: number; data: string }
  | { name: string; type: 'SRV'; ttl: number; data: SrvData }
  | { name: string; type: 'NAPTR'; ttl: number; data: NaptrData };

export type DnsRecordType = DnsRecord['type'];

/** The SOA fields other than the serial (which is the published version). */
export interface SoaFields {
  mname: string;
  rname: string;
  refresh: number;
  retry: number;
  expire: number;
  /** The negative-caching TTL (RFC 2308): how long an NXDOMAIN or NODATA answer may be cached. */
  minimum: number;
}

/** What the records say, computed by the leader from the cluster's state (build-records.ts). */
export interface RecordContent {
  mode: DnsMode;
  zone: string;
  serviceName: string;
  ttlS: number;
  /** The port every node's server listens on. */
  port: number;
  /** The VIP's address (no prefix) in vip mode: each server also listens there. */
  vip: string | null;
  soa: SoaFields;
  /** Every node with a known address, in node order: its host name `<id>.<zone>` is an NS and an SRV target. */
  nodes: { id: string; address: string }[];
  /** Nodes mode: the nodes the service name answers with, the leader first. */
  answering: string[];
  /** Nodes mode: the nodes left out of the answers, and why. */
  leftOut: { node: string; reason: string }[];
  /** Set when no node is healthy and the answers fall back to every online node. */
  degraded: string | null;
  records: DnsRecord[];
}

/** The published document: the content, who published it and when. */
export interface PublishedRecordSet extends RecordContent {
  leader: string;
  /** ISO time of the publication. */
  publishedAt: string;
}

/** A published set as read from the control plane: the serial is its version. */
export interface ServedRecordSet {
  term: number;
  version: number;
  set: PublishedRecordSet;
}

/** Two contents say the same thing (the leader republishes only on a change or a new term). */
export function sameContent(a: RecordContent, b: RecordContent): boolean {
  return JSON.stringify(contentOf(a)) === JSON.stringify(contentOf(b));
}

/** The content part of a (possibly published) set, in a fixed key order. */
export function contentOf(set: RecordContent): RecordContent {
  const { mode, zone, serviceName, ttlS, port, vip, soa, nodes, answering, leftOut, degraded, records } = set;
  return { mode, zone, serviceName, ttlS, port, vip, soa, nodes, answering, leftOut, degraded, records };
}

/** (term, version) ordering: a newer term wins whatever the versions; within a term the higher version. */
export function isNewer(a: { term: number; version: number }, b: { term: number; version: number } | undefined) {
  return !b || a.term > b.term || (a.term === b.term && a.version > b.version);
}
