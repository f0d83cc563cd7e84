/*
 * Character classes of the RFC 3261 grammar (section 25), as bit flags in one table indexed by char code. Every
 * scanner in this folder walks the text with these instead of regular expressions: one pass, no backtracking, and
 * no surprise cost on hostile input.
 */

export const ALPHANUM = 1 << 0;
/** token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
export const TOKEN = 1 << 1;
/** unreserved: alphanum / mark, mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")" */
export const UNRESERVED = 1 << 2;
/** user-unreserved: "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
export const USER_UNRESERVED = 1 << 3;
/** password: unreserved / escaped / "&" / "=" / "+" / "$" / "," (the extra characters only) */
export const PASSWORD_EXTRA = 1 << 4;
/** param-unreserved: "[" / "]" / "/" / ":" / "&" / "+" / "$" */
export const PARAM_UNRESERVED = 1 << 5;
/** hnv-unreserved: "[" / "]" / "/" / "?" / ":" / "+" / "$" */
export const HNV_UNRESERVED = 1 << 6;
/** word (Call-ID): token characters plus "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}" */
export const WORD = 1 << 7;
/** A host name or IPv4 address: alphanum, "-", "." (and "_", seen in the wild in DNS names). */
export const HOST = 1 << 8;
export const DIGIT = 1 << 9;
export const HEX = 1 << 10;
/** The characters of a telephone number in a tel: URI (RFC 3966): hex digits, "*", "#", "+" and visual separators. */
export const PHONE = 1 << 11;
/** An unquoted header parameter value: gen-value = token / host, so token characters plus ":" "[" "]" (IPv6). */
export const GEN_VALUE = 1 << 12;

const table = new Uint16Array(128);

function mark(chars: string, flag: number): void {
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)]! |= flag;
}

const lower = 'abcdefghijklmnopqrstuvwxyz';
const digits = '0123456789';
const alphanum = lower + lower.toUpperCase() + digits;
mark(alphanum, ALPHANUM | TOKEN | UNRESERVED | WORD | HOST);
mark("-.!%*_+`'~", TOKEN | WORD);
mark("-_.!~*'()", UNRESERVED);
mark('&=+$,;?/', USER_UNRESERVED);
mark('&=+$,', PASSWORD_EXTRA);
mark('[]/:&+$', PARAM_UNRESERVED);
mark('[]/?:+$', HNV_UNRESERVED);
mark('()<>:\\"/[]?{}', WORD);
mark('-._', HOST);
mark(digits, DIGIT | HEX);
mark('abcdefABCDEF', HEX);
mark(digits + 'abcdefABCDEF*#+-.()', PHONE);
mark(alphanum + "-.!%*_+`'~:[]", GEN_VALUE);

/** True when the character at `index` belongs to one of the classes in `flags`; non-ASCII never does. */
export function isClass(text: string, index: number, flags: number): boolean {
  const code = text.charCodeAt(index);
  return code < 128 && (table[code]! & flags) !== 0;
}

/** True when every character of the non-empty `text` is a token character. */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!isClass(text, i, TOKEN)) return false;
  return true;
}

/** The index of the first character at or after `from` that is not in `flags` (or `end`). */
export function scanClass(text: string, from: number, end: number, flags: number): number {
  let i = from;
  while (i < end && isClass(text, i, flags)) i++;
  return i;
}

export function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Skips spaces and tabs (folding was already replaced by whitespace when the header was read). */
export function skipSpace(text: string, from: number, end = text.length): number {
  let i = from;
  while (i < end && isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/** Trims spaces and tabs (not other whitespace: a NUL or a vertical tab is content, and wrong). */
export function trimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isWhitespace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** True when `text[from, end)` is one or more decimal digits. */
export function isDigits(text: string, from = 0, end = text.length): boolean {
  if (end <= from) return false;
  for (let i = from; i < end; i++) if (!isClass(text, i, DIGIT)) return false;
  return true;
}

/**
 * Checks the characters of `text[from, end)`: each is in `flags` or is a `%HH` escape. Returns the index of the
 * first bad character, or -1 when all are good.
 */
export function findBadEscaped(text: string, from: number, end: number, flags: number): number {
  for (let i = from; i < end; i++) {
    if (isClass(text, i, flags)) continue;
    if (text.charCodeAt(i) === 0x25 && i + 2 < end && isClass(text, i + 1, HEX) && isClass(text, i + 2, HEX)) {
      i += 2;
      continue;
    }
    return i;
  }
  return -1;
}

/** Decodes `%HH` escapes (URI user, parameters, headers). The input was checked, so every `%` starts an escape. */
export function unescapeUri(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    // Escapes of bytes that are not UTF-8 (e.g. %00 is fine, %FF alone is not): decode them one byte per char.
    return text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}
