/*
 * The hot path's parser: the 12-byte header, the one question and an optional OPT record, read straight from the
 * packet without building objects for the rest. Anything of another shape is handed to the slow path (slow-path.ts,
 * dns-packet) or answered FORMERR / NOTIMP, or dropped when it cannot be a query at all.
 */

export const HEADER_BYTES = 12;
export const TYPE_OPT = 41;
export const CLASS_IN = 1;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (EDNS) rcode 16: the upper 8 bits go in the OPT record. */
  BADVERS: 16,
} as const;

/** Header flag bits (RFC 1035 4.1.1). */
export const FLAG = {
  QR: 0x8000,
  OPCODE: 0x7800,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  CD: 0x0010,
} as const;

/** A query of the usual shape, ready to be answered. */
export interface ParsedQuery {
  kind: 'query';
  /** The query's flags word (opcode, RD and CD are echoed). */
  flags: number;
  /**
   * The question's name in wire form (length-prefixed labels and the final zero), lower-cased, as a latin1 string:
   * a map key that compares names the way DNS does (ASCII case-insensitive) without decoding them.
   */
  nameKey: string;
  /** Offset just past the question (name, type, class): bytes 12..questionEnd are echoed verbatim. */
  questionEnd: number;
  qtype: number;
  qclass: number;
  /** The OPT record's fields, when the query has one (RFC 6891). */
  edns: { payload: number; version: number; dnssecOk: boolean } | undefined;
}

/** What the parser decided. */
export type ParseOutcome =
  | ParsedQuery
  /** Not a query we can answer with a question: answer this rcode with the header only. */
  | { kind: 'error'; rcode: number }
  /** Too short to be a DNS message, or a response: never answered (no reflection, no loops). */
  | { kind: 'drop' }
  /** A query of an unusual shape (several additional records, a compressed question...): the slow path decides. */
  | { kind: 'unusual' };

const DROP = { kind: 'drop' } as const;
const UNUSUAL = { kind: 'unusual' } as const;
const FORMERR = { kind: 'error', rcode: RCODE.FORMERR } as const;
const NOTIMP = { kind: 'error', rcode: RCODE.NOTIMP } as const;

/** The longest name in wire form (RFC 1035 2.3.4). */
const MAX_NAME_BYTES = 255;

export function parseQuery(message: Buffer): ParseOutcome {
  if (message.length < HEADER_BYTES) return DROP;
  const flags = message.readUInt16BE(2);
  if (flags & FLAG.QR) return DROP;
  if ((flags & FLAG.OPCODE) !== 0) return NOTIMP; // only QUERY; NOTIFY, UPDATE (RFC 2136 goes elsewhere), ...
  if (message.readUInt16BE(4) !== 1) return FORMERR;
  const answers = message.readUInt16BE(6);
  const authorities = message.readUInt16BE(8);
  const additionals = message.readUInt16BE(10);
  if (answers !== 0 || authorities !== 0 || additionals > 1) return UNUSUAL;

  let offset = HEADER_BYTES;
  for (;;) {
    if (offset >= message.length) return FORMERR;
    const length = message[offset]!;
    if (length === 0) break;
    if (length & 0xc0) return (length & 0xc0) === 0xc0 ? UNUSUAL : FORMERR; // a pointer, or a reserved label type
    offset += length + 1;
    if (offset - HEADER_BYTES >= MAX_NAME_BYTES) return FORMERR;
  }
  const nameEnd = offset + 1;
  const questionEnd = nameEnd + 4;
  if (questionEnd > message.length) return FORMERR;
  const qtype = message.readUInt16BE(nameEnd);
  const qclass = message.readUInt16BE(nameEnd + 2);
  // Lengths are at most 63, below 'A': lower-casing the whole wire form touches the letters of the labels only.
  const nameKey = message.toString('latin1', HEADER_BYTES, nameEnd).toLowerCase();

  let edns: ParsedQuery['edns'];
  if (additionals === 1) {
    // The OPT record: root name, type 41, class = UDP payload size, TTL = extended rcode, version, DO and Z.
    if (questionEnd + 11 > message.length) return FORMERR;
    if (message[questionEnd] !== 0 || message.readUInt16BE(questionEnd + 1) !== TYPE_OPT) return UNUSUAL;
    const rdataLength = message.readUInt16BE(questionEnd + 9);
    if (questionEnd + 11 + rdataLength > message.length) return FORMERR;
    edns = {
      payload: message.readUInt16BE(questionEnd + 3),
      version: message[questionEnd + 6]!,
      dnssecOk: (message[questionEnd + 7]! & 0x80) !== 0,
    };
  }
  return { kind: 'query', flags, nameKey, questionEnd, qtype, qclass, edns };
}

/** A name in wire form, lower-cased, as parseQuery's nameKey (for names from the record set). */
export function nameKeyOf(name: string): string {
  const trimmed = name.replace(/\.$/, '').toLowerCase();
  let key = '';
  if (trimmed !== '') {
    for (const label of trimmed.split('.')) key += String.fromCharCode(label.length) + label;
  }
  return `${key}\0`;
}

/** The dotted form of a name key, for logs and tests. */
export function nameOfKey(key: string): string {
  const labels: string[] = [];
  let offset = 0;
  while (offset < key.length && key.charCodeAt(offset) !== 0) {
    const length = key.charCodeAt(offset);
    labels.push(key.slice(offset + 1, offset + 1 + length));
    offset += length + 1;
  }
  return labels.join('.') || '.';
}

/**
 * Whether the name (a key) is the zone or below it. The zone must end the name at a label boundary: a suffix
 * match alone could cut a label in two (a label may hold any byte, even one that looks like a length).
 */
export function isInZone(nameKey: string, zoneKey: string): boolean {
  const start = nameKey.length - zoneKey.length;
  if (start < 0 || !nameKey.endsWith(zoneKey)) return false;
  let offset = 0;
  while (offset < start) offset += nameKey.charCodeAt(offset) + 1;
  return offset === start;
}
