import { TOKEN, isClass, isWhitespace, skipSpace, trimSpace } from './chars.js';
import { Params, parseParams } from './params.js';
import { SipParseError, excerpt } from './parse-error.js';
import { quote, scanQuoted, unquote } from './quoted-string.js';
import { parseUri, type Uri } from './uri.js';

export interface NameAddrParts {
  /** The display name as written: a quoted string with its quotes, or tokens; undefined when there is none. */
  readonly displayName?: string | undefined;
  readonly uri: Uri;
  readonly params?: Params;
}

/**
 * A name-addr or addr-spec with its header parameters: the value of From, To, Contact, Route, Record-Route, Path
 * (RFC 3261 section 20.10). Immutable; keeps the text it was read from, so an unchanged value is written back byte
 * for byte (the registrar stores Contact values verbatim). A changed copy is written as `name <uri>;params`, always
 * with angle brackets, which is valid for every URI.
 */
export class NameAddr {
  readonly displayName: string | undefined;
  readonly uri: Uri;
  readonly params: Params;
  readonly raw: string;

  constructor(parts: NameAddrParts, raw?: string) {
    this.displayName = parts.displayName;
    this.uri = parts.uri;
    this.params = parts.params ?? Params.EMPTY;
    this.raw = raw ?? formatNameAddr(this);
  }

  /** The display name as text: quotes and escapes removed. */
  get display(): string | undefined {
    return this.displayName === undefined ? undefined : unquote(this.displayName);
  }

  get tag(): string | undefined {
    const value = this.params.get('tag');
    return typeof value === 'string' ? value : undefined;
  }

  /** A header parameter's value as written (quotes kept); null without value; undefined when absent. */
  param(name: string): string | null | undefined {
    return this.params.get(name);
  }

  withParam(name: string, value: string | null): NameAddr {
    return new NameAddr({ displayName: this.displayName, uri: this.uri, params: this.params.with(name, value) });
  }

  withoutParam(name: string): NameAddr {
    if (!this.params.has(name)) return this;
    return new NameAddr({ displayName: this.displayName, uri: this.uri, params: this.params.without(name) });
  }

  withUri(uri: Uri): NameAddr {
    return new NameAddr({ displayName: this.displayName, uri, params: this.params });
  }

  /** A copy with a display name given as text (quoted for you), or none. */
  withDisplay(display: string | undefined): NameAddr {
    const displayName = display === undefined ? undefined : quote(display);
    return new NameAddr({ displayName, uri: this.uri, params: this.params });
  }

  toString(): string {
    return this.raw;
  }
}

/**
 * Reads one name-addr or addr-spec with its parameters (`"A" <sip:a@b>;tag=1`, `sip:a@b;tag=1`). In the addr-spec
 * form a `;` starts the header parameters, so the URI there cannot hold `;`, `?` or `,` (RFC 3261 section 20: such
 * a URI must be in angle brackets). `what` names the header for the error.
 */
export function parseNameAddr(value: string, what: string): NameAddr {
  const end = value.length;
  let i = skipSpace(value, 0);
  let displayName: string | undefined;

  if (i < end && value.charCodeAt(i) === 0x22) {
    const close = scanQuoted(value, i, what);
    displayName = value.slice(i, close);
    i = skipSpace(value, close);
    if (value.charCodeAt(i) !== 0x3c) throw bad(what, value, 'a display name without <URI>');
  } else if (value.charCodeAt(i) !== 0x3c) {
    // Either tokens of a display name before "<", or the scheme of an addr-spec: read tokens and see what follows.
    const first = i;
    while (i < end && (isClass(value, i, TOKEN) || isWhitespace(value.charCodeAt(i)))) i++;
    if (i < end && value.charCodeAt(i) === 0x3c) {
      const written = value.slice(first, i).trimEnd();
      if (written.length > 0) displayName = written;
    } else {
      return parseAddrSpec(value, first, what);
    }
  }
  // value[i] is "<": the URI runs to ">", with no whitespace inside (RFC 4475 badaspec).
  const uriStart = i + 1;
  const uriEnd = value.indexOf('>', uriStart);
  if (uriEnd < 0) throw bad(what, value, 'no closing >');
  const uri = parseUri(value.slice(uriStart, uriEnd), what);
  const params = parseParams(value, uriEnd + 1, end, what);
  return new NameAddr({ displayName, uri, params }, trimSpace(value));
}

function parseAddrSpec(value: string, start: number, what: string): NameAddr {
  let uriEnd = start;
  while (uriEnd < value.length) {
    const code = value.charCodeAt(uriEnd);
    if (code === 0x3b || isWhitespace(code)) break;
    if (code === 0x3f || code === 0x2c) throw bad(what, value, 'a URI with "?" or "," outside <>');
    uriEnd++;
  }
  if (uriEnd === start) throw bad(what, value, 'no URI');
  const uri = parseUri(value.slice(start, uriEnd), what);
  const params = parseParams(value, uriEnd, value.length, what);
  return new NameAddr({ uri, params }, trimSpace(value.slice(start)));
}

function formatNameAddr(parts: NameAddrParts & { params: Params }): string {
  const display = parts.displayName === undefined ? '' : `${parts.displayName} `;
  return `${display}<${parts.uri.toString()}>${parts.params.toString()}`;
}

function bad(what: string, value: string, detail: string): SipParseError {
  return new SipParseError(`Bad ${what} header`, `${detail} in ${excerpt(value)}`);
}
