import { NameAddr, SipUri, parseParams, parseUri, type Params, type UriParam } from '../message/index.js';
import { escapeCallId, escapeUrlHeader, unescapeStored } from './flexisip-escape.js';

/**
 * One binding of an address of record as Flexisip stores it: the value of a field of the hash `fs:<user>@<host>`
 * (ExtendedContact::serializeAsUrlEncodedParams). The value is the Contact the device sent, written as
 *
 *   [display ]<contact-uri;fs-conn-id=..;callid=..;expires=..;cseq=..;updatedAt=..;alias=no;usedAsRoute=no
 *             ?path=..&accept=..&user-agent=..>;header-params
 *
 * where the URI parameters after the device's own and the URI headers are the registrar's. `contact` here is the
 * Contact without them: the URI the device registered (its push parameters included) and its header parameters
 * (`+sip.instance`, `+org.linphone.specs`, `q`, `pub-gruu`...).
 */
export interface StoredBinding {
  readonly contact: NameAddr & { readonly uri: SipUri };
  /** fs-conn-id: the connection (or UDP flow) the REGISTER came over, meaningful only to the proxy that wrote it. */
  readonly connectionId: string | undefined;
  /** The Call-ID of the REGISTER, as received (unescaped). */
  readonly callId: string;
  /** Seconds granted, counted from updatedAt. */
  readonly expires: number;
  readonly cseq: number;
  /** Unix time (seconds) of the REGISTER. */
  readonly updatedAt: number;
  readonly alias: boolean;
  /** True for a domain registration (an AOR without user): the contact is then used as a Route. */
  readonly usedAsRoute: boolean;
  /** The Path URIs (RFC 3327), topmost first, without angle brackets. */
  readonly path: readonly string[];
  /** The media types of the REGISTER's Accept header. */
  readonly accept: readonly string[];
  readonly userAgent: string;
}

/** The URI parameters the registrar adds to a contact, in the order Flexisip writes them. */
export const INTERNAL_URI_PARAMS = ['fs-conn-id', 'callid', 'expires', 'cseq', 'updatedAt', 'alias', 'usedAsRoute'];
const INTERNAL = new Set(INTERNAL_URI_PARAMS.map((name) => name.toLowerCase()));

export function isInternalUriParam(name: string): boolean {
  return INTERNAL.has(name.toLowerCase());
}

/** The stored value of a binding, in Flexisip's format. */
export function serializeBinding(binding: StoredBinding): string {
  const { contact } = binding;
  const uri = contact.uri.headers.length > 0 ? contact.uri.with({ headers: [] }) : contact.uri;
  let text = contact.displayName === undefined ? '<' : `${contact.displayName} <`;
  text += uri.toString();
  if (binding.connectionId !== undefined) text += `;fs-conn-id=${binding.connectionId}`;
  text += `;callid=${escapeCallId(binding.callId)};expires=${binding.expires};cseq=${binding.cseq}`;
  text += `;updatedAt=${binding.updatedAt};alias=${yesNo(binding.alias)};usedAsRoute=${yesNo(binding.usedAsRoute)}`;
  text += `?path=${escapeUrlHeader(binding.path.map((hop) => `<${hop}>`).join(','))}`;
  text += `&accept=${escapeUrlHeader(binding.accept.join(','))}`;
  text += `&user-agent=${escapeUrlHeader(binding.userAgent)}>`;
  return text + contact.params.toString();
}

export type ParsedBinding = { ok: true; binding: StoredBinding } | { ok: false; error: string };

/**
 * Reads a stored value (ours or Flexisip's). Returns why it cannot be read instead of throwing: stored data is
 * input like any other. Tolerant where Flexisip's own writer is sloppy (a bare `&` or `@` inside a URI header).
 */
export function parseBinding(value: string): ParsedBinding {
  try {
    return { ok: true, binding: readBinding(value) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function readBinding(value: string): StoredBinding {
  const { displayName, uriStart, uriEnd } = locateUri(value);
  const uriText = value.slice(uriStart, uriEnd);
  // The user part may hold '?', and ends at the first '@' (sofia-sip's rule); the URI headers start after it.
  const query = uriText.indexOf('?', uriText.indexOf('@') + 1);
  const parsed = parseUri(query < 0 ? uriText : uriText.slice(0, query), 'Contact');
  if (!(parsed instanceof SipUri)) throw new Error(`not a sip: or sips: contact: ${uriText.slice(0, 40)}`);

  const own: UriParam[] = [];
  const internal = new Map<string, string | null>();
  for (const param of parsed.params) {
    const name = param.name.toLowerCase();
    if (!INTERNAL.has(name)) own.push(param);
    else if (!internal.has(name)) internal.set(name, param.value);
  }
  const headers = query < 0 ? new Map<string, string>() : readQuery(uriText.slice(query + 1));
  const params: Params = parseParams(value, uriEnd + 1, value.length, 'Contact');
  const uri = own.length === parsed.params.length ? parsed : parsed.with({ params: own });
  const contact = new NameAddr({ displayName, uri, params }) as StoredBinding['contact'];

  const number = (name: string, required: boolean): number => {
    const text = internal.get(name.toLowerCase());
    if (typeof text === 'string' && /^[0-9]{1,15}$/.test(text)) return Number(text);
    if (required) throw new Error(`no ${name} parameter (whole seconds) in the stored contact`);
    return 0;
  };
  const connectionId = internal.get('fs-conn-id');
  const pathText = headers.get('path') ?? '';
  return {
    contact,
    connectionId: typeof connectionId === 'string' ? connectionId : undefined,
    callId: unescapeStored(internal.get('callid') ?? ''),
    expires: number('expires', true),
    cseq: number('cseq', false),
    updatedAt: number('updatedAt', true),
    alias: internal.get('alias') === 'yes',
    usedAsRoute: internal.get('usedasroute') === 'yes',
    path: splitPath(pathText),
    accept: (headers.get('accept') ?? '')
      .split(',')
      .map((type) => type.trim())
      .filter((type) => type !== ''),
    userAgent: headers.get('user-agent') ?? '',
  };
}

/** Where the contact URI is: after an optional display name (a quoted string may hold `<`), up to the first `>`. */
function locateUri(value: string): { displayName: string | undefined; uriStart: number; uriEnd: number } {
  let i = 0;
  while (value[i] === ' ' || value[i] === '\t') i++;
  let displayStart = i;
  if (value[i] === '"') {
    i++;
    while (i < value.length && value[i] !== '"') i += value[i] === '\\' ? 2 : 1;
    if (i >= value.length) throw new Error('an unterminated display name');
    i++;
  } else {
    displayStart = i;
  }
  const lt = value.indexOf('<', i);
  if (lt < 0) throw new Error('no <URI> in the stored contact');
  const written = value.slice(displayStart, lt).trim();
  // Inside the URI every `>` of a URI header is escaped, so the first one closes it.
  const gt = value.indexOf('>', lt);
  if (gt < 0) throw new Error('no closing > in the stored contact');
  return { displayName: written === '' ? undefined : written, uriStart: lt + 1, uriEnd: gt };
}

/** URI headers by lower-case name, decoded. A piece without `=` continues the previous value (a bare `&`). */
function readQuery(query: string): Map<string, string> {
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const piece of query.split('&')) {
    const equals = piece.indexOf('=');
    if (equals <= 0) {
      if (last !== undefined) headers.set(last, `${headers.get(last)}&${unescapeStored(piece)}`);
      continue;
    }
    last = piece.slice(0, equals).toLowerCase();
    headers.set(last, unescapeStored(piece.slice(equals + 1)));
  }
  return headers;
}

/** `<uri1>,<uri2>` into its URIs; a list written without brackets is split on commas. */
function splitPath(text: string): string[] {
  if (text.trim() === '') return [];
  const bracketed = [...text.matchAll(/<([^>]*)>/g)].map((match) => match[1]!.trim());
  if (bracketed.length > 0) return bracketed.filter((uri) => uri !== '');
  return text
    .split(',')
    .map((uri) => uri.trim())
    .filter((uri) => uri !== '');
}

function yesNo(flag: boolean): string {
  return flag ? 'yes' : 'no';
}

/** True while the binding is alive at `nowS` (Flexisip: updatedAt + expires in the future). */
export function isLive(binding: StoredBinding, nowS: number): boolean {
  return binding.updatedAt + binding.expires > nowS;
}
