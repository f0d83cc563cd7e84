import { DIGIT, TOKEN, WORD, isWhitespace, scanClass, skipSpace, trimSpace } from './chars.js';
import { SipParseError, excerpt } from './parse-error.js';

/** CSeq: a sequence number below 2^31 and a method (RFC 3261 section 8.1.1.5). */
export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

const MAX_CSEQ = 2 ** 31 - 1;
/** delta-seconds above this are "overlarge" (RFC 4475 scalar02): treat them as malformed. */
export const MAX_DELTA_SECONDS = 2 ** 32 - 1;

export function parseCSeq(value: string): CSeq {
  const end = value.length;
  const start = skipSpace(value, 0);
  const digitsEnd = scanClass(value, start, end, DIGIT);
  if (digitsEnd === start) throw bad('CSeq', value, 'no sequence number');
  // Leading zeros are legal ("0009"); the value, not the length, is what must fit.
  const seq = digitsEnd - start > 12 ? Infinity : Number(value.slice(start, digitsEnd));
  if (seq > MAX_CSEQ) throw bad('CSeq', value, 'sequence number not below 2^31');
  if (digitsEnd >= end || !isWhitespace(value.charCodeAt(digitsEnd))) throw bad('CSeq', value, 'no method');
  const methodStart = skipSpace(value, digitsEnd);
  const methodEnd = scanClass(value, methodStart, end, TOKEN);
  if (methodEnd === methodStart || skipSpace(value, methodEnd) !== end) throw bad('CSeq', value, 'a bad method');
  return { seq, method: value.slice(methodStart, methodEnd) };
}

/** Call-ID = word [ "@" word ]; compared byte for byte, so it is returned as written (trimmed). */
export function parseCallId(value: string): string {
  const text = trimSpace(value);
  const at = text.indexOf('@');
  const firstEnd = at < 0 ? text.length : at;
  const ok =
    firstEnd > 0 &&
    scanClass(text, 0, firstEnd, WORD) === firstEnd &&
    (at < 0 || (at + 1 < text.length && scanClass(text, at + 1, text.length, WORD) === text.length));
  if (!ok) throw bad('Call-ID', value, 'not word[@word]');
  return text;
}

/** Max-Forwards: 0-255 (RFC 4475 scalar02 shows 300 as an error). */
export function parseMaxForwards(value: string): number {
  const n = parseWhole(value);
  if (n === undefined || n > 255) throw bad('Max-Forwards', value, 'not a number 0-255');
  return n;
}

/** Content-Length: digits only (RFC 4475 ncl: "-999" is an error), at most what a message could hold. */
export function parseContentLength(value: string): number {
  const n = parseWhole(value);
  if (n === undefined || n > 2 ** 31) throw bad('Content-Length', value, 'not a length');
  return n;
}

/**
 * delta-seconds (Expires header, expires parameter): a whole number of seconds, or undefined when malformed or
 * over 2^32-1. RFC 3261 says to treat a malformed Expires as 3600 seconds; the registrar applies its own default.
 */
export function parseDeltaSeconds(value: string): number | undefined {
  const n = parseWhole(value);
  return n === undefined || n > MAX_DELTA_SECONDS ? undefined : n;
}

/** Digits only, surrounded by optional spaces; undefined otherwise. Long inputs give Infinity, never a rounding. */
function parseWhole(value: string): number | undefined {
  const text = trimSpace(value);
  if (text.length === 0 || scanClass(text, 0, text.length, DIGIT) !== text.length) return undefined;
  return text.length > 15 ? Infinity : Number(text);
}

function bad(what: string, value: string, detail: string): SipParseError {
  return new SipParseError(`Bad ${what} header`, `${detail}: ${excerpt(value)}`);
}
