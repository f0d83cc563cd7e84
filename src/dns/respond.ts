import type { EncodedAnswer } from './compiled-zone.js';
import { MAX_UDP_PAYLOAD } from './defaults.js';
import { FLAG, HEADER_BYTES, RCODE, TYPE_OPT, type ParsedQuery } from './wire.js';

/*
 * A response is assembled from parts, without encoding anything: the query's ID and question bytes, the
 * pre-encoded sections of the answer, and one of four pre-built OPT records. What does not fit the transport's
 * limit is cut the RFC way: first the additional section (no TC), then everything but the question (TC set, the
 * client retries over TCP).
 */

export type Transport = 'udp' | 'tcp';

/** Without EDNS a UDP answer may not exceed 512 bytes (RFC 1035); EDNS raises the limit (RFC 6891). */
const PLAIN_UDP_LIMIT = 512;
const TCP_LIMIT = 65_535;
const OPT_BYTES = 11;

/** OPT records by [DO bit][BADVERS]: our payload size, the extended rcode, version 0, the DO bit echoed (RFC 3225). */
const OPT_RECORDS: readonly (readonly Buffer[])[] = [false, true].map((dnssecOk) =>
  [false, true].map((badVersion) => {
    const opt = Buffer.alloc(OPT_BYTES);
    opt.writeUInt16BE(TYPE_OPT, 1); // after the root name (one zero byte)
    opt.writeUInt16BE(MAX_UDP_PAYLOAD, 3);
    opt[5] = badVersion ? RCODE.BADVERS >> 4 : 0;
    opt[7] = dnssecOk ? 0x80 : 0;
    return opt;
  }),
);

/** The largest response the client accepts over this transport. */
export function responseLimit(query: ParsedQuery, transport: Transport): number {
  if (transport === 'tcp') return TCP_LIMIT;
  if (!query.edns) return PLAIN_UDP_LIMIT;
  return Math.min(Math.max(query.edns.payload, PLAIN_UDP_LIMIT), MAX_UDP_PAYLOAD);
}

/**
 * The response to a parsed query. `message` holds the query (its ID and question are copied from it); an EDNS
 * version above 0 gets BADVERS (RFC 6891 6.1.3) whatever the answer.
 */
export function buildResponse(
  message: Buffer,
  query: ParsedQuery,
  answer: EncodedAnswer,
  transport: Transport,
): { response: Buffer; rcode: number; truncated: boolean } {
  const badVersion = query.edns !== undefined && query.edns.version > 0;
  const rcode = badVersion ? RCODE.BADVERS : answer.rcode;
  const opt = query.edns ? OPT_RECORDS[query.edns.dnssecOk ? 1 : 0]![badVersion ? 1 : 0]! : undefined;
  const optBytes = opt ? OPT_BYTES : 0;
  const questionBytes = query.questionEnd - HEADER_BYTES;
  const limit = responseLimit(query, transport);
  const fixed = HEADER_BYTES + questionBytes + optBytes;

  let bodyBytes = badVersion ? 0 : answer.body.length;
  let additionals = answer.additionals;
  let truncated = false;
  if (fixed + bodyBytes > limit) {
    bodyBytes = answer.requiredBytes;
    additionals = 0;
    if (fixed + bodyBytes > limit) {
      bodyBytes = 0;
      truncated = true;
    }
  }
  const keepsAnswer = !badVersion && !truncated;
  const response = Buffer.allocUnsafe(fixed + bodyBytes);
  response[0] = message[0]!;
  response[1] = message[1]!;
  let flags = FLAG.QR | (query.flags & (FLAG.OPCODE | FLAG.RD | FLAG.CD)) | (rcode & 0x0f);
  if (answer.authoritative && !badVersion) flags |= FLAG.AA;
  if (truncated) flags |= FLAG.TC;
  response.writeUInt16BE(flags, 2);
  response.writeUInt16BE(1, 4);
  response.writeUInt16BE(keepsAnswer ? answer.answers : 0, 6);
  response.writeUInt16BE(keepsAnswer ? answer.authorities : 0, 8);
  response.writeUInt16BE((keepsAnswer ? additionals : 0) + (opt ? 1 : 0), 10);
  message.copy(response, HEADER_BYTES, HEADER_BYTES, query.questionEnd);
  let offset = HEADER_BYTES + questionBytes;
  if (bodyBytes > 0) offset += answer.body.copy(response, offset, 0, bodyBytes);
  if (opt) opt.copy(response, offset);
  return { response, rcode, truncated };
}

/**
 * A header-only response (FORMERR, NOTIMP) to a message that has at least a header: its ID and opcode echoed, no
 * question (a malformed one cannot be echoed safely).
 */
export function errorResponse(message: Buffer, rcode: number): Buffer {
  const response = Buffer.alloc(HEADER_BYTES);
  response[0] = message[0]!;
  response[1] = message[1]!;
  const flags = message.readUInt16BE(2);
  response.writeUInt16BE(FLAG.QR | (flags & (FLAG.OPCODE | FLAG.RD)) | (rcode & 0x0f), 2);
  return response;
}
