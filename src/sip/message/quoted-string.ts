import { SipParseError } from './parse-error.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Returns the index just after the quoted string that starts at `start` (where `text[start]` is `"`). A quoted-pair
 * (`\` and any character) is skipped as a unit, so `\"` does not end the string. Throws when it never ends.
 */
export function scanQuoted(text: string, start: number, what: string): number {
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === BACKSLASH) {
      if (i + 1 >= text.length) break;
      i++;
    } else if (code === QUOTE) {
      return i + 1;
    }
  }
  throw new SipParseError(`Bad ${what} header`, 'unterminated quoted string');
}

/** The content of a quoted string written with its quotes (`"a \"b\""` gives `a "b"`); other text is returned as is. */
export function unquote(raw: string): string {
  if (raw.length < 2 || raw.charCodeAt(0) !== QUOTE || raw.charCodeAt(raw.length - 1) !== QUOTE) return raw;
  const inner = raw.slice(1, -1);
  if (!inner.includes('\\')) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const char = inner[i]!;
    if (char === '\\' && i + 1 < inner.length) {
      out += inner[i + 1];
      i++;
    } else {
      out += char;
    }
  }
  return out;
}

/** A quoted string for `value`: `"` and `\` escaped. CR and LF cannot be quoted in SIP, so they are refused. */
export function quote(value: string): string {
  if (value.includes('\r') || value.includes('\n')) throw new TypeError('a SIP quoted string cannot hold CR or LF');
  return `"${value.replace(/["\\]/g, (char) => `\\${char}`)}"`;
}

/**
 * Splits a list header value on the commas that are outside quoted strings and angle brackets, trimming each
 * element. Empty elements are kept (the caller decides whether `a,,b` is an error).
 */
export function splitList(value: string, what: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === QUOTE) {
      i = scanQuoted(value, i, what) - 1;
    } else if (code === 0x3c) {
      angle = true;
    } else if (code === 0x3e) {
      angle = false;
    } else if (code === 0x2c && !angle) {
      parts.push(trimmed(value, start, i));
      start = i + 1;
    }
  }
  parts.push(trimmed(value, start, value.length));
  return parts;
}

/** The first element of a list value (see splitList) and the index where the rest starts (-1 when none). */
export function firstOfList(value: string, what: string): { first: string; rest: number } {
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === QUOTE) {
      i = scanQuoted(value, i, what) - 1;
    } else if (code === 0x3c) {
      angle = true;
    } else if (code === 0x3e) {
      angle = false;
    } else if (code === 0x2c && !angle) {
      return { first: trimmed(value, 0, i), rest: i + 1 };
    }
  }
  return { first: trimmed(value, 0, value.length), rest: -1 };
}

function trimmed(text: string, start: number, end: number): string {
  let s = start;
  let e = end;
  while (s < e && (text.charCodeAt(s) === 0x20 || text.charCodeAt(s) === 0x09)) s++;
  while (e > s && (text.charCodeAt(e - 1) === 0x20 || text.charCodeAt(e - 1) === 0x09)) e--;
  return text.slice(s, e);
}
