import { TOKEN, isClass, isWhitespace } from '../message/chars.js';
import { SipParseError, excerpt } from '../message/parse-error.js';
import { scanQuoted, unquote } from '../message/quoted-string.js';

/*
 * Reading the credentials of an Authorization or Proxy-Authorization header (RFC 3261 section 25:
 * `credentials = ("Digest" LWS digest-response) / other-response`, `dig-resp = name EQUAL (token / quoted-string)`,
 * separated by commas). One pass over the text, no regular expressions on hostile input. Every problem throws
 * SipParseError with the reason `Bad <header> header`, so a caller answers 400 exactly as for any other bad header.
 */

/** More parameters than any client sends (RFC 7616 defines 12): a longer list is an attack, not a client. */
const MAX_PARAMS = 32;

export interface AuthParam {
  /** The value with quotes and escapes removed. */
  readonly value: string;
  readonly quoted: boolean;
}

/** A credentials value: its scheme, and for Digest its parameters by lower-case name. */
export interface ParsedCredentials {
  readonly scheme: string;
  /** Undefined for a scheme other than Digest, whose syntax (token68) this module does not read. */
  readonly params: ReadonlyMap<string, AuthParam> | undefined;
}

/** The fields of Digest credentials that the checks use; values are unquoted. */
export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  /** As written; "MD5" when the parameter is absent (RFC 7616 section 3.3). */
  readonly algorithm: string;
  readonly qop: string | undefined;
  /** 8 hex digits when present. */
  readonly nc: string | undefined;
  readonly cnonce: string | undefined;
  readonly opaque: string | undefined;
  /** RFC 7616 userhash=true: the username is a hash. Never offered here, so such credentials are refused. */
  readonly userhash: boolean;
}

/** Reads one header value. `what` is the header name for the error ("Authorization", "Proxy-Authorization"). */
export function parseCredentials(value: string, what: string): ParsedCredentials {
  let i = skipWhitespace(value, 0);
  const schemeStart = i;
  while (i < value.length && isClass(value, i, TOKEN)) i++;
  if (i === schemeStart) throw bad(what, `no authentication scheme in ${excerpt(value)}`);
  const scheme = value.slice(schemeStart, i);
  if (scheme.toLowerCase() !== 'digest') return { scheme, params: undefined };
  if (i < value.length && !isWhitespace(value.charCodeAt(i))) throw bad(what, `${excerpt(value)} after the scheme`);
  return { scheme, params: readParams(value, i, what) };
}

function readParams(value: string, start: number, what: string): Map<string, AuthParam> {
  const params = new Map<string, AuthParam>();
  let i = start;
  for (;;) {
    i = skipWhitespace(value, i);
    if (i >= value.length) break;
    // Empty list elements ("a=1,,b=2") are allowed by the list rule of RFC 7230 section 7; clients write them.
    if (value.charCodeAt(i) === 0x2c) {
      i++;
      continue;
    }
    const nameStart = i;
    while (i < value.length && isClass(value, i, TOKEN)) i++;
    if (i === nameStart) throw bad(what, `a parameter name expected at ${excerpt(value.slice(i), 20)}`);
    const name = value.slice(nameStart, i).toLowerCase();
    i = skipWhitespace(value, i);
    if (value.charCodeAt(i) !== 0x3d) throw bad(what, `no "=" after parameter ${excerpt(name, 20)}`);
    i = skipWhitespace(value, i + 1);
    let param: AuthParam;
    if (value.charCodeAt(i) === 0x22) {
      const end = scanQuoted(value, i, what);
      const text = unquote(value.slice(i, end));
      if (hasControl(text)) throw bad(what, `a control character in parameter ${excerpt(name, 20)}`);
      param = { value: text, quoted: true };
      i = end;
    } else {
      const valueStart = i;
      while (i < value.length && isClass(value, i, TOKEN)) i++;
      if (i === valueStart) throw bad(what, `no value for parameter ${excerpt(name, 20)}`);
      param = { value: value.slice(valueStart, i), quoted: false };
    }
    if (params.has(name)) throw bad(what, `parameter ${excerpt(name, 20)} given twice`);
    if (params.size >= MAX_PARAMS) throw bad(what, `more than ${MAX_PARAMS} parameters`);
    params.set(name, param);
    i = skipWhitespace(value, i);
    if (i < value.length && value.charCodeAt(i) !== 0x2c) {
      throw bad(what, `a comma expected at ${excerpt(value.slice(i), 20)}`);
    }
  }
  if (params.size === 0) throw bad(what, 'Digest without parameters');
  return params;
}

/**
 * The Digest fields, checked for presence and form: username, realm, nonce, uri and response are required; with a
 * qop, nc (8 hex digits) and cnonce are too (RFC 7616 section 3.4). Whether the values are right is for the caller.
 */
export function readDigestCredentials(params: ReadonlyMap<string, AuthParam>, what: string): DigestCredentials {
  const required = (name: string): string => {
    const found = params.get(name);
    if (found === undefined) {
      // username* (RFC 7616 section 3.4.4) carries a name that is not ASCII; SIP user parts never need it.
      const hint = name === 'username' && params.has('username*') ? ' (username* is not supported)' : '';
      throw bad(what, `no ${name} parameter${hint}`);
    }
    return found.value;
  };
  const optional = (name: string) => params.get(name)?.value;
  const username = required('username');
  const realm = required('realm');
  const nonce = required('nonce');
  const uri = required('uri');
  const response = required('response');
  if (response.length === 0 || !/^[0-9a-fA-F]+$/.test(response)) throw bad(what, 'a response that is not hex');
  const qop = optional('qop');
  const nc = optional('nc');
  const cnonce = optional('cnonce');
  if (nc !== undefined && !/^[0-9a-fA-F]{8}$/.test(nc)) throw bad(what, `nc ${excerpt(nc, 20)} is not 8 hex digits`);
  if (qop !== undefined && (nc === undefined || cnonce === undefined || cnonce === '')) {
    throw bad(what, 'qop without nc and cnonce');
  }
  const userhash = optional('userhash');
  return {
    username,
    realm,
    nonce,
    uri,
    response,
    algorithm: optional('algorithm') ?? 'MD5',
    qop,
    nc,
    cnonce,
    opaque: optional('opaque'),
    userhash: userhash !== undefined && userhash.toLowerCase() === 'true',
  };
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/** Controls other than tab, which a quoted-string may not hold (qdtext excludes them). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

function bad(what: string, detail: string): SipParseError {
  return new SipParseError(`Bad ${what} header`, detail);
}
