import { createHash, timingSafeEqual } from 'node:crypto';

/*
 * The digest computations of RFC 7616 section 3.4 as SIP uses them (RFC 3261 section 22.4, RFC 8760): HA1 from the
 * user's secret, HA2 from the request, and the response over both with qop=auth. Only the two algorithms this proxy
 * offers are here; the "-sess" variants are never offered, so credentials naming one are refused before hashing.
 */

/** The algorithms a challenge may offer, strongest first (RFC 8760 section 2.4: in order of preference). */
export const DIGEST_ALGORITHMS = ['SHA-256', 'MD5'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

const NODE_HASH: Readonly<Record<DigestAlgorithm, string>> = { 'SHA-256': 'sha256', MD5: 'md5' };

/** Hex digits in a hash of each algorithm: an HA1 or a response of another length is refused at once. */
export const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { 'SHA-256': 64, MD5: 32 };

/**
 * The algorithm named by a challenge or credentials (the token compares without case); undefined for any other,
 * "MD5-sess" and "SHA-256-sess" included. The caller treats a missing parameter as MD5 (RFC 7616 section 3.3).
 */
export function parseAlgorithm(name: string): DigestAlgorithm | undefined {
  const upper = name.toUpperCase();
  return DIGEST_ALGORITHMS.find((algorithm) => algorithm === upper);
}

/** H(data): the lower-case hex hash of the UTF-8 bytes of `data` (RFC 7616 section 3.4.1). */
export function hashHex(algorithm: DigestAlgorithm, data: string): string {
  return createHash(NODE_HASH[algorithm]).update(data, 'utf8').digest('hex');
}

/** HA1 = H(username ":" realm ":" password): what a credentials file stores instead of the password. */
export function computeHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return hashHex(algorithm, `${username}:${realm}:${password}`);
}

/** HA2 = H(method ":" digest-uri) for qop=auth. */
export function computeHa2(algorithm: DigestAlgorithm, method: string, uri: string): string {
  return hashHex(algorithm, `${method}:${uri}`);
}

export interface ResponseInputs {
  readonly ha1: string;
  readonly nonce: string;
  /** The nonce count as written by the client: 8 hex digits. */
  readonly nc: string;
  readonly cnonce: string;
  readonly qop: 'auth';
  readonly method: string;
  readonly uri: string;
}

/** response = KD(HA1, nonce ":" nc ":" cnonce ":" qop ":" HA2), KD(secret, data) = H(secret ":" data). */
export function computeResponse(algorithm: DigestAlgorithm, inputs: ResponseInputs): string {
  const ha2 = computeHa2(algorithm, inputs.method, inputs.uri);
  return hashHex(algorithm, `${inputs.ha1}:${inputs.nonce}:${inputs.nc}:${inputs.cnonce}:${inputs.qop}:${ha2}`);
}

/**
 * Compares a response from the wire with the expected one in time that does not depend on where they differ (the
 * expected value is secret-derived). Hex case is ignored, as RFC 7616 writes hashes in lower case but some clients
 * send upper case. A value of another length differs, which tells an attacker nothing: every length is public.
 */
export function sameDigest(received: string, expected: string): boolean {
  const a = Buffer.from(received.toLowerCase(), 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
