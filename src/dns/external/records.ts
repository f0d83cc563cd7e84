import { isIPv4, isIPv6 } from 'node:net';
import { ClusterError } from '../../errors.js';

/** The service name's addresses, as the leader wants the external server to publish them. */
export interface DesiredRecords {
  name: string;
  ttlS: number;
  a: string[];
  aaaa: string[];
}

/** One RRset: its TTL and its addresses, canonical and sorted so two sets compare as strings. */
export interface AddressSet {
  ttlS: number;
  addresses: string[];
}

/** What a server holds (or should hold) at one name; an absent RRset is undefined. */
export interface NameRecords {
  /** Lower case, without the trailing dot. */
  name: string;
  a: AddressSet | undefined;
  aaaa: AddressSet | undefined;
}

export type AddressType = 'A' | 'AAAA';
export const ADDRESS_TYPES: readonly AddressType[] = ['A', 'AAAA'];

/** A desired record set that can never be published (a name outside the zone, a bad address). */
export class InvalidRecordsError extends ClusterError {
  constructor(reason: string) {
    super('STG_ERR_DNS_RECORDS', reason);
  }
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
const MAX_TTL_S = 2_147_483_647; // RFC 2181 §8

/** Lower case and no trailing dot, so names from config, from a packet and from a caller compare equal. */
export function normalName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/**
 * Checks a desired set against the zone and puts it in canonical form: IPv6 in RFC 5952 text (the form
 * dns-packet decodes to), duplicates removed, sorted. Throws InvalidRecordsError naming the field.
 */
export function normalizeDesired(desired: DesiredRecords, zone: string): NameRecords {
  if (typeof desired !== 'object' || desired === null) throw new InvalidRecordsError('the record set is not an object');
  const name = normalName(String(desired.name));
  const labels = name.split('.');
  if (name.length > 253 || !labels.every((label) => LABEL.test(label))) {
    throw new InvalidRecordsError(`name ${JSON.stringify(desired.name)} is not a valid domain name`);
  }
  if (name !== zone && !name.endsWith(`.${zone}`)) {
    throw new InvalidRecordsError(`name ${desired.name} is not inside zone ${zone}`);
  }
  if (!Number.isSafeInteger(desired.ttlS) || desired.ttlS < 0 || desired.ttlS > MAX_TTL_S) {
    throw new InvalidRecordsError(`ttlS ${JSON.stringify(desired.ttlS)} is not a TTL in 0-${MAX_TTL_S} seconds`);
  }
  return {
    name,
    a: addressSet('a', desired.a, desired.ttlS),
    aaaa: addressSet('aaaa', desired.aaaa, desired.ttlS),
  };
}

function addressSet(field: 'a' | 'aaaa', addresses: unknown, ttlS: number): AddressSet | undefined {
  if (!Array.isArray(addresses)) throw new InvalidRecordsError(`${field} is not a list of addresses`);
  const canonical = addresses.map((address: unknown) => {
    const text = String(address);
    if (field === 'a' && typeof address === 'string' && isIPv4(address)) return address;
    if (field === 'aaaa' && typeof address === 'string' && isIPv6(address)) return canonicalIPv6(address);
    throw new InvalidRecordsError(
      `${field}: ${JSON.stringify(text)} is not an ${field === 'a' ? 'IPv4' : 'IPv6'} address`,
    );
  });
  return canonical.length === 0 ? undefined : { ttlS, addresses: [...new Set(canonical)].sort() };
}

/** RFC 5952 text of an IPv6 address: the WHATWG URL parser writes hosts that way. */
export function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

export function sameSet(left: AddressSet | undefined, right: AddressSet | undefined): boolean {
  if (!left || !right) return left === right;
  return left.ttlS === right.ttlS && left.addresses.join(' ') === right.addresses.join(' ');
}

export function sameRecords(left: NameRecords, right: NameRecords): boolean {
  return left.name === right.name && sameSet(left.a, right.a) && sameSet(left.aaaa, right.aaaa);
}

export function setOf(records: NameRecords, type: AddressType): AddressSet | undefined {
  return type === 'A' ? records.a : records.aaaa;
}

/** For logs and errors: `sips.example.es A 192.0.2.10 (ttl 30), AAAA none`. */
export function describeRecords(records: NameRecords): string {
  const part = (type: AddressType) => {
    const set = setOf(records, type);
    return set ? `${type} ${set.addresses.join(' ')} (ttl ${set.ttlS})` : `${type} none`;
  };
  return `${records.name} ${part('A')}, ${part('AAAA')}`;
}

/** Back to the caller's shape, for the status. */
export function toDesired(records: NameRecords): DesiredRecords {
  return {
    name: records.name,
    ttlS: records.a?.ttlS ?? records.aaaa?.ttlS ?? 0,
    a: records.a?.addresses ?? [],
    aaaa: records.aaaa?.addresses ?? [],
  };
}
