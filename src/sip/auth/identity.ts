import type { NameAddr, SipRequest } from '../message/index.js';

/*
 * Whose request this is: the domain whose policy applies, the user it claims to be, and whether the authenticated
 * user may make that claim. A REGISTER speaks for the address of record in To; any other request for the user in
 * From (RFC 3261 sections 10.2 and 8.1.1.3).
 */

/** Picks the domain whose auth policy applies to a request; undefined when it names none (a tel: From). */
export type DomainSelector = (request: SipRequest) => string | undefined;

/** The default selector: the host of To for REGISTER, of From otherwise, in lower case. */
export function domainOfRequest(request: SipRequest): string | undefined {
  const who = claimant(request);
  return who.uri.kind === 'sip' ? who.uri.hostname.toLowerCase() : undefined;
}

/** The user the request claims to be (for the log when it carries no credentials); '' when it names none. */
export function claimedUser(request: SipRequest): string {
  try {
    const uri = claimant(request).uri;
    return uri.kind === 'sip' ? (uri.userDecoded ?? '') : uri.toString();
  } catch {
    return '';
  }
}

/**
 * Under the strict policy, why `username` may not send this request in `domain`, or undefined when it may. A
 * REGISTER must register the user's own AOR from the user's own address (no third-party registration); any other
 * request must come from the user's own address. Throws SipParseError for a malformed From or To.
 */
export function identityMismatch(request: SipRequest, domain: string, username: string): string | undefined {
  const checks: [string, NameAddr][] =
    request.method === 'REGISTER'
      ? [
          ['To', request.to()],
          ['From', request.from()],
        ]
      : [['From', request.from()]];
  for (const [header, address] of checks) {
    const uri = address.uri;
    if (uri.kind !== 'sip') return `${header} is not a SIP URI`;
    if (uri.hostname.toLowerCase() !== domain) return `${header} is not in ${domain}`;
    if (uri.userDecoded !== username) return `${header} user is not the authenticated user`;
  }
  return undefined;
}

function claimant(request: SipRequest): NameAddr {
  return request.method === 'REGISTER' ? request.to() : request.from();
}
