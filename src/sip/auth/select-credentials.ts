import type { SipRequest } from '../message/index.js';
import { parseCredentials, readDigestCredentials, type DigestCredentials } from './credentials-header.js';

/*
 * Finding our credentials among the Authorization (or Proxy-Authorization) headers of a request. A request may carry
 * several: one per realm on its path (RFC 3261 section 22.3), so only those for our realm are ours, and the others
 * must be left alone for the servers they are meant for. Headers of other schemes are ignored.
 */

export type Selection =
  | { readonly kind: 'none' }
  /** Digest credentials were there, none for this realm. */
  | { readonly kind: 'other-realms'; readonly realms: readonly string[] }
  | { readonly kind: 'found'; readonly credentials: DigestCredentials };

/**
 * The first Digest credentials for `realm`. Throws SipParseError (answer 400) when a Digest header cannot be read:
 * its realm is unknown then, so it may be ours.
 */
export function selectCredentials(request: SipRequest, header: string, realm: string): Selection {
  const realms: string[] = [];
  for (const line of request.headers.lines(header)) {
    const parsed = parseCredentials(line, header);
    if (parsed.params === undefined) continue;
    const theirRealm = parsed.params.get('realm')?.value;
    if (theirRealm !== realm) {
      if (theirRealm !== undefined) realms.push(theirRealm);
      else readDigestCredentials(parsed.params, header); // throws: no realm
      continue;
    }
    return { kind: 'found', credentials: readDigestCredentials(parsed.params, header) };
  }
  return realms.length > 0 ? { kind: 'other-realms', realms } : { kind: 'none' };
}

/**
 * Removes the credentials for `realm` from a request about to be forwarded (RFC 3261 section 22.3: they were meant
 * for this proxy; those for other realms stay, untouched). A header that cannot be read is left as it is.
 */
export function removeOwnCredentials(request: SipRequest, realm: string, header = 'Proxy-Authorization'): void {
  const lines = request.headers.lines(header);
  const kept = lines.filter((line) => {
    try {
      return parseCredentials(line, header).params?.get('realm')?.value !== realm;
    } catch {
      return true;
    }
  });
  if (kept.length !== lines.length) request.headers.set(header, kept);
}
