import { isIP, isIPv6 } from 'node:net';
import { DIGIT, HOST, TOKEN, isWhitespace, scanClass, skipSpace } from './chars.js';
import { Params, parseParams } from './params.js';
import { SipParseError, excerpt } from './parse-error.js';

export interface ViaParts {
  /** "UDP", "TCP", "TLS", "WS"...: as written (compare without case). */
  readonly transport: string;
  /** A name, an IPv4 address or an IPv6 reference with brackets. */
  readonly host: string;
  readonly port?: number | undefined;
  readonly params?: Params;
}

/**
 * One Via value (RFC 3261 section 20.42, RFC 3581 rport). Immutable; keeps its text until changed. The transport
 * layer adds `received`/`rport` on the way in, the proxy adds its own Via and removes it from responses.
 */
export class Via {
  readonly protocol = 'SIP/2.0';
  readonly transport: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly params: Params;
  readonly raw: string;

  constructor(parts: ViaParts, raw?: string) {
    this.transport = parts.transport;
    this.host = parts.host;
    this.port = parts.port;
    this.params = parts.params ?? Params.EMPTY;
    this.raw = raw ?? formatVia(this);
  }

  /** The host without IPv6 brackets. */
  get hostname(): string {
    return this.host.charCodeAt(0) === 0x5b ? this.host.slice(1, -1) : this.host;
  }

  get branch(): string | undefined {
    const value = this.params.get('branch');
    return typeof value === 'string' ? value : undefined;
  }

  /** The `received` address, brackets removed (RFC 5118 shows both spellings in use). */
  get received(): string | undefined {
    const value = this.params.get('received');
    if (typeof value !== 'string') return undefined;
    return value.charCodeAt(0) === 0x5b ? value.slice(1, -1) : value;
  }

  /** null: `rport` asked for (no value); a number: the port filled in; undefined: absent (RFC 3581). */
  get rport(): number | null | undefined {
    const value = this.params.get('rport');
    if (value === undefined || value === null) return value;
    return Number(value);
  }

  get maddr(): string | undefined {
    const value = this.params.get('maddr');
    return typeof value === 'string' ? value : undefined;
  }

  /** True for an RFC 3261 branch (magic cookie), which identifies the transaction by itself. */
  get hasRfc3261Branch(): boolean {
    return this.branch?.startsWith('z9hG4bK') ?? false;
  }

  withParam(name: string, value: string | null): Via {
    return new Via({
      transport: this.transport,
      host: this.host,
      port: this.port,
      params: this.params.with(name, value),
    });
  }

  withoutParam(name: string): Via {
    if (!this.params.has(name)) return this;
    return new Via({ transport: this.transport, host: this.host, port: this.port, params: this.params.without(name) });
  }

  toString(): string {
    return this.raw;
  }
}

/**
 * Reads one Via value: `sent-protocol LWS sent-by *( SEMI via-params )`, where sent-protocol is
 * `name SLASH version SLASH transport` and SLASH allows whitespace around it (RFC 4475 wsinv). The branch must be a
 * token, `received` an address, `rport` empty or a port, `ttl` 0-255.
 */
export function parseVia(value: string): Via {
  const end = value.length;
  let i = skipSpace(value, 0);
  const protocolEnd = scanClass(value, i, end, TOKEN);
  if (value.slice(i, protocolEnd).toUpperCase() !== 'SIP') throw bad(value, 'protocol is not SIP');
  i = slash(value, protocolEnd);
  const versionEnd = scanClass(value, i, end, TOKEN);
  if (value.slice(i, versionEnd) !== '2.0') throw bad(value, 'version is not 2.0');
  i = slash(value, versionEnd);
  const transportEnd = scanClass(value, i, end, TOKEN);
  if (transportEnd === i) throw bad(value, 'no transport');
  const transport = value.slice(i, transportEnd);
  if (transportEnd >= end || !isWhitespace(value.charCodeAt(transportEnd))) throw bad(value, 'no sent-by');
  i = skipSpace(value, transportEnd);

  let host: string;
  if (value.charCodeAt(i) === 0x5b) {
    const close = value.indexOf(']', i);
    if (close < 0 || !isIPv6(value.slice(i + 1, close))) throw bad(value, 'a bad IPv6 reference');
    host = value.slice(i, close + 1);
    i = close + 1;
  } else {
    const hostEnd = scanClass(value, i, end, HOST);
    if (hostEnd === i) throw bad(value, 'no host');
    host = value.slice(i, hostEnd);
    i = hostEnd;
  }
  let port: number | undefined;
  i = skipSpace(value, i);
  if (value.charCodeAt(i) === 0x3a) {
    const portStart = skipSpace(value, i + 1);
    const portEnd = scanClass(value, portStart, end, DIGIT);
    port = portEnd - portStart <= 5 ? Number(value.slice(portStart, portEnd)) : NaN;
    if (portEnd === portStart || !(port <= 65535)) throw bad(value, 'a bad port');
    i = portEnd;
  }
  const params = parseParams(value, i, end, 'Via');
  checkViaParams(params, value);
  return new Via({ transport, host, port, params }, value);
}

function checkViaParams(params: Params, value: string): void {
  if (params.size === 0) return;
  const branch = params.get('branch');
  if (branch !== undefined && (branch === null || !isTokenValue(branch))) throw bad(value, 'a bad branch');
  const received = params.get('received');
  if (received !== undefined) {
    const address = received?.charCodeAt(0) === 0x5b ? received.slice(1, -1) : received;
    if (address === null || isIP(address) === 0) throw bad(value, 'a bad received address');
  }
  const rport = params.get('rport');
  if (rport !== undefined && rport !== null && !isPortNumber(rport)) throw bad(value, 'a bad rport');
  const ttl = params.get('ttl');
  if (ttl !== undefined && (ttl === null || !isPortNumber(ttl) || Number(ttl) > 255)) throw bad(value, 'a bad ttl');
}

function isTokenValue(text: string): boolean {
  return text.length > 0 && scanClass(text, 0, text.length, TOKEN) === text.length;
}

function isPortNumber(text: string): boolean {
  return (
    text.length > 0 &&
    text.length <= 5 &&
    scanClass(text, 0, text.length, DIGIT) === text.length &&
    Number(text) <= 65535
  );
}

function slash(value: string, from: number): number {
  const i = skipSpace(value, from);
  if (value.charCodeAt(i) !== 0x2f) throw bad(value, 'a bad sent-protocol');
  return skipSpace(value, i + 1);
}

function formatVia(via: Via): string {
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `SIP/2.0/${via.transport} ${via.host}${port}${via.params.toString()}`;
}

function bad(value: string, detail: string): SipParseError {
  return new SipParseError('Bad Via header', `${detail} in ${excerpt(value)}`);
}
