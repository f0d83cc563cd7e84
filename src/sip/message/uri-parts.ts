import { HNV_UNRESERVED, PARAM_UNRESERVED, UNRESERVED, findBadEscaped, isClass, unescapeUri } from './chars.js';
import { SipParseError, excerpt } from './parse-error.js';

/*
 * What SIP and tel URIs share: parameters and headers kept as written (escapes included), looked up by name without
 * case and after decoding, and escaping for values written into them.
 */

/** A URI parameter or header as written (escapes kept); `value` null for a bare `;lr`. */
export interface UriParam {
  readonly name: string;
  readonly value: string | null;
}
export interface UriHeader {
  readonly name: string;
  readonly value: string;
}

export const PARAM_CHARS = UNRESERVED | PARAM_UNRESERVED;
export const HEADER_CHARS = UNRESERVED | HNV_UNRESERVED;

/** Reads `*( ";" pname [ "=" pvalue ] )` into `params`; returns where it stopped. */
export function readUriParams(text: string, from: number, what: string, params: UriParam[]): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) === 0x3b) {
    const nameEnd = scanEscaped(text, i + 1, PARAM_CHARS);
    if (nameEnd === i + 1) throw badUri(what, text, 'an empty URI parameter');
    const name = text.slice(i + 1, nameEnd);
    i = nameEnd;
    let value: string | null = null;
    if (i < text.length && text.charCodeAt(i) === 0x3d) {
      const valueEnd = scanEscaped(text, i + 1, PARAM_CHARS);
      if (valueEnd === i + 1) throw badUri(what, text, `URI parameter ${excerpt(name, 20)} has an empty value`);
      value = text.slice(i + 1, valueEnd);
      i = valueEnd;
    }
    params.push({ name, value });
  }
  return i;
}

/** The index of the first character that is neither in `flags` nor part of a `%HH` escape. */
export function scanEscaped(text: string, from: number, flags: number): number {
  const bad = findBadEscaped(text, from, text.length, flags);
  return bad < 0 ? text.length : bad;
}

export function badUri(what: string, text: string, detail: string): SipParseError {
  const reason = what === 'Request-URI' ? 'Bad Request-URI' : `Bad ${what} header`;
  return new SipParseError(reason, `${detail} in URI ${excerpt(text)}`);
}

export function decodedName(name: string): string {
  return unescapeUri(name).toLowerCase();
}

export function indexByName(list: readonly { name: string }[], name: string): number {
  const lower = name.toLowerCase();
  for (let i = 0; i < list.length; i++) {
    const candidate = list[i]!.name;
    if (candidate.length === lower.length && candidate.toLowerCase() === lower) return i;
    if (candidate.includes('%') && decodedName(candidate) === lower) return i;
  }
  return -1;
}

export function findByName<T extends { name: string }>(list: readonly T[], name: string): T | undefined {
  const index = indexByName(list, name);
  return index < 0 ? undefined : list[index];
}

/** Escapes a value for a URI parameter (RFC 3261 paramchar): what is not allowed becomes `%HH` (UTF-8). */
export function escapeUriParam(value: string): string {
  return escapeWith(value, PARAM_CHARS);
}

/** Escapes a value for a URI header (RFC 3261 hvalue). */
export function escapeUriHeader(value: string): string {
  return escapeWith(value, HEADER_CHARS);
}

function escapeWith(value: string, flags: number): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    if (isClass(value, i, flags)) {
      out += value[i];
      continue;
    }
    const code = value.codePointAt(i)!;
    if (code > 0xffff) i++;
    for (const byte of Buffer.from(String.fromCodePoint(code), 'utf8')) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}
