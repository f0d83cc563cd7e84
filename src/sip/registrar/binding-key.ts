import { createHash } from 'node:crypto';
import { unquote, type NameAddr, type SipUri } from '../message/index.js';

/*
 * Which hash field a contact is stored under (its "unique id"), and the GRUU that names it.
 *
 * Flexisip takes the first of `+sip.instance`, `pn-tok`, `line` found as a Contact header parameter, then as a URI
 * parameter, raw (quotes and brackets kept): the operators' field `"<urn:uuid:...>"`. A contact with none gets a
 * random placeholder starting with `fs-gen-`, which tells every reader to match it by RFC 3261 rules (URI, Call-ID,
 * CSeq) instead. We derive that placeholder from the contact URI rather than draw it at random: two REGISTERs of the
 * same URI then land on the same field, so RFC 3261 10.3 "same URI = same binding" is a field replacement inside
 * the atomic script, with no read-compare step in the proxy. Flexisip nodes sharing the Redis still see an `fs-gen-`
 * key and match it by URI as they always do.
 */

const UNIQUE_ID_PARAMS = ['+sip.instance', 'pn-tok', 'line'];
export const PLACEHOLDER_PREFIX = 'fs-gen-';

/** The hash field of a contact; `instance` is its raw +sip.instance when it has one (RFC 5626). */
export function bindingField(contact: NameAddr & { uri: SipUri }): { field: string; instance: string | undefined } {
  for (const name of UNIQUE_ID_PARAMS) {
    const header = contact.params.get(name);
    if (typeof header === 'string' && header !== '') {
      return { field: header, instance: name === '+sip.instance' ? header : undefined };
    }
    const raw = contact.uri.params.find((param) => param.name.toLowerCase() === name)?.value;
    if (typeof raw === 'string' && raw !== '') return { field: raw, instance: undefined };
  }
  return { field: placeholderFor(contact.uri), instance: undefined };
}

/**
 * `fs-gen-` + 24 hex digits of a digest of the URI in the terms RFC 3261 19.1.4 compares: scheme, user and password
 * decoded, host without case, port, and the parameters that must match (user, ttl, method, maddr, transport).
 * Other parameters (push tokens, `ob`...) do not make a different binding: a device that changes its push token
 * replaces its binding, as it should.
 */
export function placeholderFor(uri: SipUri): string {
  const strict = ['user', 'ttl', 'method', 'maddr', 'transport'].map((name) => {
    const value = uri.param(name);
    return typeof value === 'string' ? value.toLowerCase() : value === null ? '' : '-';
  });
  const canonical = [
    uri.scheme,
    uri.userDecoded ?? '',
    uri.password ?? '',
    uri.hostname.toLowerCase(),
    uri.port ?? '',
    ...strict,
  ].join('\n');
  return PLACEHOLDER_PREFIX + createHash('sha256').update(canonical).digest('hex').slice(0, 24);
}

/** The `gr` value of a +sip.instance (`"<urn:uuid:x>"` gives `urn:uuid:x`), undefined when it has no URN form. */
export function instanceToGr(instance: string): string | undefined {
  const text = unquote(instance).trim();
  const match = /^<([^<>]+)>$/.exec(text);
  return match ? match[1] : undefined;
}

/** The hash field a GRUU's `gr` value names: the +sip.instance as devices write it. */
export function grToInstance(gr: string): string {
  return `"<${gr}>"`;
}

/**
 * The identity of a device's push registration: provider, token and parameter exactly as written in its URI
 * (RFC 8599, else the legacy pn-type/pn-tok/app-id), '' when it has no complete set. Flexisip erases an older binding
 * that has the same push identity under another field (an app reinstalled gets a new +sip.instance, and its old
 * binding would wake it twice); the store does the same, so the script computes it from stored values the same way.
 */
export function pushKey(uri: SipUri): string {
  const raw = (name: string) => uri.params.find((param) => param.name === name)?.value ?? '';
  const rfc = [raw('pn-provider'), raw('pn-prid'), raw('pn-param')];
  if (rfc.every((value) => value !== '')) return rfc.join('|');
  const legacy = [raw('pn-type'), raw('pn-tok'), raw('app-id')];
  if (legacy.every((value) => value !== '')) return `legacy|${legacy.join('|')}`;
  return '';
}

/**
 * A URI up to its parameters, as written and in lower case (`sip:bob@192.0.2.5:5060`): what the store compares to
 * find the bindings an un-REGISTER without instance names. Scheme, user, host and port are what RFC 3261 19.1.4
 * compares first; the case of the user is ignored here (a device repeats its own URI verbatim anyway).
 */
export function uriBase(uri: SipUri): string {
  const userinfo = uri.user === undefined ? '' : `${uri.user}${uri.password === undefined ? '' : `:${uri.password}`}@`;
  return `${uri.scheme}:${userinfo}${uri.host}${uri.port === undefined ? '' : `:${uri.port}`}`.toLowerCase();
}
