import { ALPHANUM, PHONE, isClass, scanClass, unescapeUri } from './chars.js';
import { parseSipUri, SipUri } from './sip-uri.js';
import { excerpt } from './parse-error.js';
import { badUri, findByName, readUriParams, type UriParam } from './uri-parts.js';

export { SipUri, type SipUriParts } from './sip-uri.js';
export { escapeUriHeader, escapeUriParam, type UriHeader, type UriParam } from './uri-parts.js';
export { expandIPv6, sameHost } from './ip-address.js';

/** A tel: URI (RFC 3966): the number as written and its parameters. */
export class TelUri {
  readonly kind = 'tel';
  readonly scheme = 'tel';

  constructor(
    readonly number: string,
    readonly params: readonly UriParam[],
    readonly raw: string,
  ) {}

  /** A global number starts with "+"; a local one needs a phone-context parameter to mean anything. */
  get isGlobal(): boolean {
    return this.number.startsWith('+');
  }

  param(name: string): string | null | undefined {
    const found = findByName(this.params, name);
    if (found === undefined) return undefined;
    return found.value === null ? null : unescapeUri(found.value);
  }

  equals(other: Uri): boolean {
    return other instanceof TelUri && other.raw.toLowerCase() === this.raw.toLowerCase();
  }

  toString(): string {
    return this.raw;
  }
}

/** A URI of another scheme (`http:`, `urn:`, `isbn:`...): valid in some headers, kept opaque. */
export class OtherUri {
  readonly kind = 'other';

  constructor(
    readonly scheme: string,
    readonly raw: string,
  ) {}

  equals(other: Uri): boolean {
    return other instanceof OtherUri && other.raw === this.raw;
  }

  toString(): string {
    return this.raw;
  }
}

export type Uri = SipUri | TelUri | OtherUri;

/**
 * Reads a whole URI: sip/sips and tel in full, any other scheme as an opaque absolute URI. `what` names the place
 * (a header name, or "Request-URI") for the error.
 */
export function parseUri(text: string, what: string): Uri {
  const colon = text.indexOf(':');
  if (colon <= 0 || !isScheme(text, colon)) throw badUri(what, text, 'no scheme');
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(text, colon + 1, scheme, what);
  if (scheme === 'tel') return parseTelUri(text, colon + 1, what);
  if (colon + 1 >= text.length) throw badUri(what, text, 'empty URI');
  for (let i = colon + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Opaque, but never whitespace, controls or the delimiters of the header grammar around a URI.
    if (code <= 0x20 || code === 0x7f || code === 0x3c || code === 0x3e || code === 0x22) {
      throw badUri(what, text, 'a character not allowed in a URI');
    }
  }
  return new OtherUri(scheme, text);
}

function isScheme(text: string, end: number): boolean {
  const first = text.charCodeAt(0);
  if (!((first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a))) return false;
  for (let i = 1; i < end; i++) {
    const code = text.charCodeAt(i);
    if (!isClass(text, i, ALPHANUM) && code !== 0x2b && code !== 0x2d && code !== 0x2e) return false;
  }
  return true;
}

function parseTelUri(text: string, start: number, what: string): TelUri {
  const numberEnd = scanClass(text, start, text.length, PHONE);
  if (numberEnd === start) throw badUri(what, text, 'no telephone number');
  const params: UriParam[] = [];
  const end = readUriParams(text, numberEnd, what, params);
  if (end !== text.length) throw badUri(what, text, `unexpected ${excerpt(text.slice(end), 20)}`);
  return new TelUri(text.slice(start, numberEnd), params, text);
}
