import { parseUri, SipUri, type Uri } from '../message/index.js';

/*
 * Addresses of record as Flexisip keys them (record.cc `Record::Key`): `user@host` of the To URI, no scheme, port
 * or parameters, case kept as received (`fs:40004*01@sips.example.es`); a URI without user (a domain
 * registration) is keyed by its host alone.
 */

export function aorOf(uri: SipUri): string {
  return uri.user === undefined ? uri.host : `${uri.user}@${uri.host}`;
}

/** The AOR as a URI (`sip:user@host`), the base of its public GRUU. */
export function aorUri(uri: SipUri): string {
  return `${uri.scheme}:${aorOf(uri)}`;
}

/** True when the AOR's host is one of the served domains (compared without case). */
export function servesDomain(uri: SipUri, domains: readonly string[]): boolean {
  return domains.includes(uri.hostname.toLowerCase());
}

/**
 * The record key of what a caller names: a SIP URI (its user@host), or text that is already `user@host`, or a URI
 * written as text (`sip:user@host;params`, `<sips:user@host>`). Undefined for anything else (a tel: URI).
 */
export function aorFromInput(input: string | Uri): string | undefined {
  if (typeof input !== 'string') return input instanceof SipUri ? aorOf(input) : undefined;
  const text = input.trim().replace(/^<(.*)>$/, '$1');
  if (/^sips?:/i.test(text)) {
    try {
      const uri = parseUri(text, 'AOR');
      return uri instanceof SipUri ? aorOf(uri) : undefined;
    } catch {
      return undefined;
    }
  }
  return text === '' || /[\s;?<>]/.test(text) ? undefined : text;
}
