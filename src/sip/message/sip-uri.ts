import { isIPv6 } from 'node:net';
import {
  DIGIT,
  HOST,
  PASSWORD_EXTRA,
  UNRESERVED,
  USER_UNRESERVED,
  findBadEscaped,
  scanClass,
  unescapeUri,
} from './chars.js';
import { isHostName, sameHost } from './ip-address.js';
import { excerpt } from './parse-error.js';
import type { Uri } from './uri.js';
import {
  HEADER_CHARS,
  badUri,
  decodedName,
  findByName,
  indexByName,
  readUriParams,
  scanEscaped,
  type UriHeader,
  type UriParam,
} from './uri-parts.js';

export interface SipUriParts {
  readonly scheme: 'sip' | 'sips';
  /** As written, escapes kept (`alice%40home`); undefined without userinfo. */
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** As written: a name, an IPv4 address, or an IPv6 reference with its brackets. */
  readonly host: string;
  readonly port?: number | undefined;
  readonly params?: readonly UriParam[];
  readonly headers?: readonly UriHeader[];
}

/**
 * A sip: or sips: URI (RFC 3261 section 19.1). Immutable, and it keeps the text it was read from: `toString()`
 * gives that text back byte for byte until a `with...` method makes a changed copy, which is written from its parts
 * (each part still as written, escapes included), so an added parameter leaves the rest of the text alone.
 */
export class SipUri {
  readonly kind = 'sip';
  readonly scheme: 'sip' | 'sips';
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly host: string;
  readonly port: number | undefined;
  readonly params: readonly UriParam[];
  readonly headers: readonly UriHeader[];
  readonly raw: string;

  constructor(parts: SipUriParts, raw?: string) {
    this.scheme = parts.scheme;
    this.user = parts.user;
    this.password = parts.password;
    this.host = parts.host;
    this.port = parts.port;
    this.params = parts.params ?? [];
    this.headers = parts.headers ?? [];
    this.raw = raw ?? formatSipUri(this);
  }

  /** The host without IPv6 brackets. */
  get hostname(): string {
    return this.host.charCodeAt(0) === 0x5b ? this.host.slice(1, -1) : this.host;
  }

  /** The user with escapes decoded (`sips%3Auser%40example.com` gives `sips:user@example.com`). */
  get userDecoded(): string | undefined {
    return this.user === undefined ? undefined : unescapeUri(this.user);
  }

  /** The transport parameter in lower case, if any. */
  get transport(): string | undefined {
    const value = this.param('transport');
    return typeof value === 'string' ? value.toLowerCase() : undefined;
  }

  /**
   * A parameter's value, escapes decoded; null when present without value; undefined when absent. Names compare
   * without case and after decoding (`;%6C%72` is `;lr`).
   */
  param(name: string): string | null | undefined {
    const found = findByName(this.params, name);
    if (found === undefined) return undefined;
    return found.value === null ? null : unescapeUri(found.value);
  }

  hasParam(name: string): boolean {
    return findByName(this.params, name) !== undefined;
  }

  /** A URI header's value, escapes decoded (`path=%3Csip...%3E` gives `<sip...>`). */
  header(name: string): string | undefined {
    const found = findByName(this.headers, name);
    return found === undefined ? undefined : unescapeUri(found.value);
  }

  /** A copy with the parameter set (replaced in place, or appended). `value` is written as given: escape it first. */
  withParam(name: string, value: string | null): SipUri {
    const index = indexByName(this.params, name);
    const params = [...this.params];
    if (index < 0) params.push({ name, value });
    else params[index] = { name: this.params[index]!.name, value };
    return this.with({ params });
  }

  withoutParam(name: string): SipUri {
    const index = indexByName(this.params, name);
    if (index < 0) return this;
    return this.with({ params: this.params.filter((_, i) => i !== index) });
  }

  with(parts: Partial<SipUriParts>): SipUri {
    return new SipUri({ ...this.parts(), ...parts });
  }

  parts(): SipUriParts {
    const { scheme, user, password, host, port, params, headers } = this;
    return { scheme, user, password, host, port, params, headers };
  }

  /**
   * URI equality by RFC 3261 section 19.1.4: user and password exact after decoding, host without case, the port
   * explicit on both or neither; the user, ttl, method, maddr and transport parameters must match when either has
   * them, other parameters only when both have them; every header must be on both and match.
   */
  equals(other: Uri): boolean {
    if (!(other instanceof SipUri) || other.scheme !== this.scheme) return false;
    if (this.userDecoded !== other.userDecoded) return false;
    if (decodeOptional(this.password) !== decodeOptional(other.password)) return false;
    if (!sameHost(this.hostname, other.hostname) || this.port !== other.port) return false;
    for (const param of this.params) {
      const name = decodedName(param.name);
      const theirs = findByName(other.params, name);
      if (theirs === undefined) {
        if (STRICT_PARAMS.has(name)) return false;
        continue;
      }
      if (!sameParamValue(param.value, theirs.value)) return false;
    }
    for (const param of other.params) {
      const name = decodedName(param.name);
      if (STRICT_PARAMS.has(name) && findByName(this.params, name) === undefined) return false;
    }
    if (this.headers.length !== other.headers.length) return false;
    for (const header of this.headers) {
      const theirs = findByName(other.headers, decodedName(header.name));
      if (theirs === undefined || unescapeUri(theirs.value) !== unescapeUri(header.value)) return false;
    }
    return true;
  }

  toString(): string {
    return this.raw;
  }
}

const STRICT_PARAMS = new Set(['user', 'ttl', 'method', 'maddr', 'transport']);

export function parseSipUri(text: string, start: number, scheme: 'sip' | 'sips', what: string): SipUri {
  const end = text.length;
  let user: string | undefined;
  let password: string | undefined;
  let i = start;
  // The user part may hold ";", "?" and "/", but never "@" (nor do parameters or headers): the first "@" ends it.
  const at = text.indexOf('@', start);
  if (at >= 0) {
    let colon = text.indexOf(':', start);
    if (colon > at) colon = -1;
    const userEnd = colon >= 0 ? colon : at;
    if (userEnd === start) throw badUri(what, text, 'empty user');
    if (findBadEscaped(text, start, userEnd, UNRESERVED | USER_UNRESERVED) >= 0) {
      throw badUri(what, text, 'a character not allowed in the user part');
    }
    user = text.slice(start, userEnd);
    if (colon >= 0) {
      if (findBadEscaped(text, colon + 1, at, UNRESERVED | PASSWORD_EXTRA) >= 0) {
        throw badUri(what, text, 'a character not allowed in the password');
      }
      password = text.slice(colon + 1, at);
    }
    i = at + 1;
  }

  let host: string;
  if (text.charCodeAt(i) === 0x5b) {
    const close = text.indexOf(']', i);
    if (close < 0 || !isIPv6(text.slice(i + 1, close))) throw badUri(what, text, 'a bad IPv6 reference');
    host = text.slice(i, close + 1);
    i = close + 1;
  } else {
    const hostEnd = scanClass(text, i, end, HOST);
    host = text.slice(i, hostEnd);
    if (!isHostName(host)) throw badUri(what, text, 'a bad host');
    i = hostEnd;
  }

  let port: number | undefined;
  if (i < end && text.charCodeAt(i) === 0x3a) {
    const portEnd = scanClass(text, i + 1, end, DIGIT);
    port = portEnd - i - 1 <= 5 ? Number(text.slice(i + 1, portEnd)) : NaN;
    if (portEnd === i + 1 || !(port <= 65535)) throw badUri(what, text, 'a bad port');
    i = portEnd;
  }

  const params: UriParam[] = [];
  i = readUriParams(text, i, what, params);

  const headers: UriHeader[] = [];
  if (i < end && text.charCodeAt(i) === 0x3f) {
    do {
      const nameEnd = scanEscaped(text, i + 1, HEADER_CHARS);
      if (nameEnd === i + 1 || text.charCodeAt(nameEnd) !== 0x3d) throw badUri(what, text, 'a bad URI header');
      const valueEnd = scanEscaped(text, nameEnd + 1, HEADER_CHARS);
      headers.push({ name: text.slice(i + 1, nameEnd), value: text.slice(nameEnd + 1, valueEnd) });
      i = valueEnd;
    } while (i < end && text.charCodeAt(i) === 0x26);
  }
  if (i !== end) throw badUri(what, text, `unexpected ${excerpt(text.slice(i), 20)}`);
  return new SipUri({ scheme, user, password, host, port, params, headers }, text);
}

function sameParamValue(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return unescapeUri(a).toLowerCase() === unescapeUri(b).toLowerCase();
}

function decodeOptional(value: string | undefined): string | undefined {
  return value === undefined ? undefined : unescapeUri(value);
}

/** Writes a SIP URI from its parts (each as written). */
function formatSipUri(parts: SipUriParts): string {
  let out = `${parts.scheme}:`;
  if (parts.user !== undefined) {
    out += parts.user;
    if (parts.password !== undefined) out += `:${parts.password}`;
    out += '@';
  }
  out += parts.host;
  if (parts.port !== undefined) out += `:${parts.port}`;
  for (const param of parts.params ?? [])
    out += param.value === null ? `;${param.name}` : `;${param.name}=${param.value}`;
  const headers = parts.headers ?? [];
  for (let i = 0; i < headers.length; i++) out += `${i === 0 ? '?' : '&'}${headers[i]!.name}=${headers[i]!.value}`;
  return out;
}
