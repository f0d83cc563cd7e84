import * as dnsPacket from 'dns-packet';
import type { DnsRecord, ServedRecordSet } from './record-set.js';
import { CLASS_IN, RCODE, isInZone, nameKeyOf } from './wire.js';

/*
 * The record set turned into answers encoded once, when the set changes: for each name and type, the bytes of the
 * answer, authority and additional sections, ready to follow the header and the question echoed from the query.
 * Answer records whose owner is the question's name start with a compression pointer to the question (offset 12),
 * so the same bytes serve every spelling of the name and the client sees its own case. Negative answers carry the
 * SOA with its full owner name, so one encoding serves every name.
 */

const TYPE = { A: 1, NS: 2, SOA: 6, HINFO: 13, AAAA: 28, SRV: 33, NAPTR: 35, IXFR: 251, AXFR: 252, ANY: 255 } as const;
const POINTER_TO_QUESTION = Buffer.from([0xc0, 0x0c]);

/** One pre-encoded answer. `body` holds the answer, authority and additional sections, in that order. */
export interface EncodedAnswer {
  rcode: number;
  authoritative: boolean;
  body: Buffer;
  answers: number;
  authorities: number;
  additionals: number;
  /** The length of the answer and authority sections: what is left when the additional one must go (truncation). */
  requiredBytes: number;
}

function encoded(
  rcode: number,
  sections: { answer?: Buffer[]; authority?: Buffer[]; additional?: Buffer[] } = {},
): EncodedAnswer {
  const { answer = [], authority = [], additional = [] } = sections;
  const required = Buffer.concat([...answer, ...authority]);
  return {
    rcode,
    authoritative: rcode === RCODE.NOERROR || rcode === RCODE.NXDOMAIN,
    body: Buffer.concat([required, ...additional]),
    answers: answer.length,
    authorities: authority.length,
    additionals: additional.length,
    requiredBytes: required.length,
  };
}

/** Answers that do not depend on any zone. */
export const REFUSED_ANSWER = encoded(RCODE.REFUSED);
/** Before the first record set is known, every query gets SERVFAIL: the server cannot know its zone yet. */
export const SERVFAIL_ANSWER = encoded(RCODE.SERVFAIL);

type PacketAnswer = dnsPacket.Answer;

/** One record in wire form, its owner name replaced by a pointer to the question when `atQuestion`. */
function encodeRecord(record: PacketAnswer, atQuestion: boolean): Buffer {
  const packet = dnsPacket.encode({ type: 'response', id: 0, flags: 0, answers: [record] });
  // After the 12-byte header: the owner name, then type, class, TTL and data. With the root name ('.') as owner the
  // name is the single zero byte, which the pointer replaces.
  if (!atQuestion) return packet.subarray(12);
  return Buffer.concat([POINTER_TO_QUESTION, packet.subarray(13)]);
}

function toPacket(record: DnsRecord, owner?: string): PacketAnswer {
  const name = owner ?? record.name;
  switch (record.type) {
    case 'SRV':
      return { name, type: 'SRV', ttl: record.ttl, data: { ...record.data } };
    case 'NAPTR':
      return { name, type: 'NAPTR', ttl: record.ttl, data: { ...record.data } };
    default:
      return { name, type: record.type, ttl: record.ttl, data: record.data };
  }
}

export class CompiledZone {
  readonly zoneKey: string;
  readonly term: number;
  readonly version: number;
  /** Every name that exists (with records, or as an empty non-terminal): its answers by query type. */
  private readonly names = new Map<string, Map<number, EncodedAnswer>>();
  private readonly noData: EncodedAnswer;
  private readonly nxDomain: EncodedAnswer;
  private readonly anyAnswer: EncodedAnswer;

  /** Encodes every answer of the set; throws when a record cannot be encoded (the caller keeps its old zone). */
  constructor(served: ServedRecordSet) {
    const { set } = served;
    this.term = served.term;
    this.version = served.version;
    this.zoneKey = nameKeyOf(set.zone);
    const soa: PacketAnswer = {
      name: set.zone,
      type: 'SOA',
      ttl: set.ttlS,
      data: { ...set.soa, serial: served.version % 2 ** 32 },
    };
    const soaRecord = encodeRecord(soa, false);
    this.noData = encoded(RCODE.NOERROR, { authority: [soaRecord] });
    this.nxDomain = encoded(RCODE.NXDOMAIN, { authority: [soaRecord] });
    // RFC 8482: ANY gets one small synthesized record, not the whole name (ANY is an amplification favourite).
    this.anyAnswer = encoded(RCODE.NOERROR, {
      answer: [encodeRecord({ name: '.', type: 'HINFO', ttl: set.ttlS, data: { cpu: 'RFC8482', os: '' } }, true)],
    });

    const byName = new Map<string, Map<number, DnsRecord[]>>();
    for (const record of set.records) {
      const key = nameKeyOf(record.name);
      if (!isInZone(key, this.zoneKey)) continue; // the builder never does this; a server never answers outside
      const types = byName.get(key) ?? new Map<number, DnsRecord[]>();
      byName.set(key, types);
      const code = TYPE[record.type];
      types.set(code, [...(types.get(code) ?? []), record]);
    }
    const addressesOf = (name: string): DnsRecord[] => {
      const types = byName.get(nameKeyOf(name));
      return [...(types?.get(TYPE.A) ?? []), ...(types?.get(TYPE.AAAA) ?? [])];
    };
    const additionalFor = (records: DnsRecord[]): DnsRecord[] => {
      const extra: DnsRecord[] = [];
      for (const record of records) {
        if (record.type === 'NS') extra.push(...addressesOf(record.data));
        if (record.type === 'SRV') extra.push(...addressesOf(record.data.target));
        if (record.type === 'NAPTR') {
          // RFC 3403 4.2: the SRV records a NAPTR points at, and their targets' addresses.
          const srv = byName.get(nameKeyOf(record.data.replacement))?.get(TYPE.SRV) ?? [];
          extra.push(...srv, ...additionalFor(srv));
        }
      }
      return extra.filter((record, index) => extra.indexOf(record) === index);
    };

    for (const [key, types] of byName) {
      const answers = new Map<number, EncodedAnswer>();
      for (const [code, records] of types) {
        answers.set(
          code,
          encoded(RCODE.NOERROR, {
            answer: records.map((record) => encodeRecord(toPacket(record, '.'), true)),
            additional: additionalFor(records).map((record) => encodeRecord(toPacket(record), false)),
          }),
        );
      }
      this.names.set(key, answers);
    }
    const apex = this.names.get(this.zoneKey) ?? new Map<number, EncodedAnswer>();
    apex.set(TYPE.SOA, encoded(RCODE.NOERROR, { answer: [encodeRecord({ ...soa, name: '.' }, true)] }));
    this.names.set(this.zoneKey, apex);
    // Empty non-terminals (e.g. _tcp.<service> above _sips._tcp.<service>) exist: NODATA there, not NXDOMAIN.
    for (const key of [...this.names.keys()]) {
      for (let parent = key; parent !== this.zoneKey;) {
        parent = parent.slice(parent.charCodeAt(0) + 1);
        if (!isInZone(parent, this.zoneKey)) break;
        if (!this.names.has(parent)) this.names.set(parent, new Map());
      }
    }
  }

  /** The answer to a question. Only class IN is served; zone transfers are refused. */
  lookup(nameKey: string, qtype: number, qclass: number): EncodedAnswer {
    if (qclass !== CLASS_IN || !isInZone(nameKey, this.zoneKey)) return REFUSED_ANSWER;
    if (qtype === TYPE.AXFR || qtype === TYPE.IXFR) return REFUSED_ANSWER;
    const types = this.names.get(nameKey);
    if (!types) return this.nxDomain;
    return types.get(qtype) ?? (qtype === TYPE.ANY ? this.anyAnswer : this.noData);
  }
}
