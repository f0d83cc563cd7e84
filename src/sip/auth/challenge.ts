import { createResponse, quote, type SipRequest, type SipResponse } from '../message/index.js';
import type { DigestAlgorithm } from './digest-algorithms.js';

/*
 * The answers the authenticator gives. A registrar challenges with 401 and WWW-Authenticate, a proxy with 407 and
 * Proxy-Authenticate (RFC 3261 sections 22.2 and 22.3), and the client answers in Authorization or
 * Proxy-Authorization to match. One challenge per algorithm, in order of preference, all with the same nonce, as in
 * the example of RFC 7616 section 3.9.1; a client takes the first it supports (RFC 8760 section 2.4).
 */

/** Which header pair a request is challenged with: REGISTER is answered as a registrar, everything else as a proxy. */
export function challengeHeaders(request: SipRequest): { challenge: string; credentials: string; status: 401 | 407 } {
  return request.method === 'REGISTER'
    ? { challenge: 'WWW-Authenticate', credentials: 'Authorization', status: 401 }
    : { challenge: 'Proxy-Authenticate', credentials: 'Proxy-Authorization', status: 407 };
}

export interface ChallengeParams {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque: string;
  readonly algorithms: readonly DigestAlgorithm[];
  /** RFC 7616 section 3.3: the client's password was right, only its nonce was not; it may retry without asking. */
  readonly stale: boolean;
}

/** The value of one challenge header: `Digest realm="...", nonce="...", opaque="...", algorithm=..., qop="auth"`. */
export function challengeValue(params: ChallengeParams, algorithm: DigestAlgorithm): string {
  const stale = params.stale ? ', stale=true' : '';
  return `Digest realm=${quote(params.realm)}, nonce=${quote(params.nonce)}, opaque=${quote(params.opaque)}${stale}, algorithm=${algorithm}, qop="auth"`;
}

/** A 401 or 407 carrying one challenge per algorithm. */
export function challengeResponse(request: SipRequest, params: ChallengeParams, toTag?: string): SipResponse {
  const { challenge, status } = challengeHeaders(request);
  const headers = params.algorithms.map((algorithm) => [challenge, challengeValue(params, algorithm)] as const);
  return createResponse(request, status, undefined, { headers, ...(toTag === undefined ? {} : { toTag }) });
}

/** A final refusal without a challenge: 400 for credentials that cannot be read, 403 for a forbidden identity. */
export function refusal(request: SipRequest, status: 400 | 403, reason: string, toTag?: string): SipResponse {
  return createResponse(request, status, reason, toTag === undefined ? {} : { toTag });
}
