import { NameAddr, SipParseError, SipUri, type SipRequest } from '../message/index.js';
import { aorOf, aorUri, servesDomain } from './aor.js';
import { PLACEHOLDER_PREFIX, bindingField, instanceToGr, pushKey, uriBase } from './binding-key.js';
import type { RegistrarSettings } from './config.js';
import { isInternalUriParam, serializeBinding, type StoredBinding } from './flexisip-contact.js';
import { escapeCallId } from './flexisip-escape.js';
import { contactCorrection, type RegisterClient } from './nat-contact.js';

/*
 * What a REGISTER asks for, decided without I/O (RFC 3261 10.3, RFC 3327 Path, RFC 5626 instance, RFC 5627 GRUU,
 * Flexisip's record format): a rejection with its status, or the bindings to write, clear or read. The store then
 * applies the Call-ID/CSeq rules atomically against what is stored.
 */

/** The extensions this registrar implements (a Require naming any other gets 420, RFC 3261 8.2.2.3). */
export const SUPPORTED_EXTENSIONS: readonly string[] = ['path', 'gruu'];

export interface RegisterRequestInfo {
  /** The record key (`user@host`). */
  readonly aor: string;
  /** The Call-ID as the store compares it (escaped as in the stored `callid` parameter). */
  readonly storedCallId: string;
  readonly cseq: number;
  /** The Path to copy into the 200 (RFC 3327: only when the device said `Supported: path`). */
  readonly responsePath: readonly string[] | undefined;
  /** The extensions of ours the device listed in Supported, echoed in the 200. */
  readonly supported: readonly string[];
}

export interface PlannedContact {
  readonly field: string;
  readonly expires: number;
  readonly value: string;
  readonly pushKey: string;
  /** Set for a removal of a contact without instance: see ContactWrite.uriBase. */
  readonly uriBase: string;
  readonly binding: StoredBinding;
}

export type RegisterPlan =
  | { readonly kind: 'reject'; readonly status: number; readonly reason: string; readonly headers: [string, string][] }
  /** No Contact: the current bindings are asked for (RFC 3261 10.3 step 8). */
  | { readonly kind: 'fetch'; readonly info: RegisterRequestInfo }
  /** Contact: * with Expires: 0. */
  | { readonly kind: 'clear'; readonly info: RegisterRequestInfo }
  | { readonly kind: 'bind'; readonly info: RegisterRequestInfo; readonly contacts: readonly PlannedContact[] };

export interface PlanContext {
  /** fs-conn-id: the connection (or UDP flow) the REGISTER arrived on. */
  readonly connectionId: string;
  /** Where the REGISTER came from (the PROXY header's client behind HAProxy): contacts behind NAT are corrected. */
  readonly client?: RegisterClient | undefined;
  /** Unix time, seconds. */
  readonly nowS: number;
}

export function planRegister(request: SipRequest, settings: RegistrarSettings, context: PlanContext): RegisterPlan {
  try {
    return plan(request, settings, context);
  } catch (error) {
    if (error instanceof SipParseError) return reject(400, error.reason);
    throw error;
  }
}

function plan(request: SipRequest, settings: RegistrarSettings, context: PlanContext): RegisterPlan {
  const required = tokens(request, 'require').filter((tag) => !SUPPORTED_EXTENSIONS.includes(tag));
  if (required.length > 0) return reject(420, 'Bad Extension', [['Unsupported', required.join(', ')]]);

  const to = request.to().uri;
  if (!(to instanceof SipUri)) return reject(400, 'To is not a SIP URI');
  if (!servesDomain(to, settings.domains)) return reject(403, 'Domain Not Served Here');

  const contactList = request.contacts();
  const paths = request.paths().map((hop) => {
    if (!(hop.uri instanceof SipUri)) throw new SipParseError('Bad Path header', 'not a SIP URI');
    return hop.uri.toString();
  });
  const path = settings.ownPath === undefined ? paths : [settings.ownPath, ...paths];
  const supportedByDevice = tokens(request, 'supported');
  const info: RegisterRequestInfo = {
    aor: aorOf(to),
    storedCallId: escapeCallId(request.callId()),
    cseq: request.cseq().seq,
    responsePath: supportedByDevice.includes('path') && path.length > 0 ? path : undefined,
    supported: SUPPORTED_EXTENSIONS.filter((tag) => supportedByDevice.includes(tag)),
  };

  if (contactList.star) {
    // RFC 3261 10.3 step 6: "*" only with an Expires header of zero.
    if (request.expires() !== 0 || !request.headers.has('expires')) {
      return reject(400, 'Contact * Requires Expires 0');
    }
    return { kind: 'clear', info };
  }
  if (contactList.contacts.length === 0) return { kind: 'fetch', info };
  if (contactList.contacts.length > settings.maxContactsPerAor) return reject(403, 'Too Many Contacts');

  const base: Omit<StoredBinding, 'contact' | 'expires'> = {
    connectionId: context.connectionId,
    callId: request.callId(),
    cseq: info.cseq,
    updatedAt: context.nowS,
    alias: false,
    usedAsRoute: to.user === undefined,
    path,
    accept: acceptedTypes(request),
    userAgent: request.headers.get('user-agent') ?? '',
  };
  const gruuBase = settings.gruu && supportedByDevice.includes('gruu') ? aorUri(to) : undefined;
  const headerExpires = request.expires();
  const correct = contactCorrection(request, context.client);
  const contacts: PlannedContact[] = [];
  let tooBrief = false;
  for (const contact of contactList.contacts) {
    const uri = contact.uri;
    if (!(uri instanceof SipUri)) return reject(400, 'Contact Is Not a SIP URI');
    // RFC 3261 10.3 step 5: the contact's own expires, else the header's, else ours; longer than max is shortened.
    const asked = contactExpiresParam(contact) ?? headerExpires ?? settings.defaultExpiresS;
    if (asked > 0 && asked < settings.minExpiresS) tooBrief = true;
    const expires = Math.min(asked, settings.maxExpiresS);
    const stored = storedContact(contact as NameAddr & { uri: SipUri }, expires, gruuBase, correct);
    const { field } = bindingField(stored);
    const binding: StoredBinding = { ...base, contact: stored, expires };
    const removal = expires === 0 && field.startsWith(PLACEHOLDER_PREFIX) ? uriBase(stored.uri) : '';
    contacts.push({
      field,
      expires,
      value: serializeBinding(binding),
      pushKey: pushKey(stored.uri),
      uriBase: removal,
      binding,
    });
  }
  if (tooBrief) return reject(423, 'Interval Too Brief', [['Min-Expires', String(settings.minExpiresS)]]);
  return { kind: 'bind', info, contacts };
}

/**
 * The contact as it is stored: URI headers and any parameter named like the registrar's own (fs-conn-id, callid,
 * expires...) dropped from the URI, since ours follow and a reader takes the first; an `expires` header parameter
 * set to what was granted (Flexisip readers prefer it to the URI's); `pub-gruu` with the public GRUU (RFC 5627), or
 * bare when none was asked for or possible (Flexisip's marker for "no GRUU assigned").
 */
function storedContact(
  contact: NameAddr & { uri: SipUri },
  expires: number,
  gruuBase: string | undefined,
  correct: ((uri: SipUri) => SipUri) | undefined,
): NameAddr & { uri: SipUri } {
  const own = contact.uri.params.filter((param) => !isInternalUriParam(param.name));
  let uri = correct ? correct(contact.uri) : contact.uri;
  if (own.length !== uri.params.length || uri.headers.length > 0) uri = uri.with({ params: own, headers: [] });
  let params = contact.params;
  if (params.has('expires')) params = params.with('expires', String(expires));
  const instance = params.get('+sip.instance');
  const gr = gruuBase !== undefined && typeof instance === 'string' ? instanceToGr(instance) : undefined;
  params = params.with('pub-gruu', gr === undefined ? null : `"${gruuBase};gr=${gr}"`);
  return new NameAddr({ displayName: contact.displayName, uri, params }) as NameAddr & { uri: SipUri };
}

/** The contact's expires parameter; a malformed one counts as absent (RFC 3261 20.19 leaves the default to us). */
function contactExpiresParam(contact: NameAddr): number | undefined {
  const value = contact.params.get('expires');
  return typeof value === 'string' && /^\s*[0-9]{1,10}\s*$/.test(value) ? Number(value) : undefined;
}

/** The media types of Accept (parameters dropped), as Flexisip keeps them. */
function acceptedTypes(request: SipRequest): string[] {
  return request.headers
    .getAll('accept')
    .map((element) => element.split(';')[0]!.trim())
    .filter((type) => type !== '');
}

/** The option tags of Supported or Require, lower case. */
function tokens(request: SipRequest, name: string): string[] {
  return request.headers.getAll(name).map((tag) => tag.trim().toLowerCase());
}

function reject(status: number, reason: string, headers: [string, string][] = []): RegisterPlan {
  return { kind: 'reject', status, reason, headers };
}
