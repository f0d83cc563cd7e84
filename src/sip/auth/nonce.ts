import { createHmac, createSecretKey, randomBytes, randomFillSync, timingSafeEqual, type KeyObject } from 'node:crypto';

/*
 * Nonces that need no table to verify: each carries the time it was issued and a random part, sealed with an HMAC
 * over those bytes and the realm under a secret. Only this process can tell its own nonces: the secret is drawn at
 * start and never leaves it. That is on purpose. Nonce counts are remembered in this process only, so a nonce this
 * process did not issue (another node's, or one from before a restart) could be replayed here without detection;
 * it is answered as stale instead, and an honest client retries at once with a fresh nonce (one extra round trip
 * after a failover or a restart, and no shared state between nodes).
 */

/** Bytes of the issue time (milliseconds), the random part, and the truncated HMAC-SHA-256. */
const TIME_BYTES = 6;
const RANDOM_BYTES = 8;
const MAC_BYTES = 16;
const SEALED_BYTES = TIME_BYTES + RANDOM_BYTES;
const NONCE_BYTES = SEALED_BYTES + MAC_BYTES;
/** Base64url length of a nonce: 40 characters, no padding. */
const NONCE_LENGTH = Math.ceil((NONCE_BYTES * 4) / 3);
/** Random parts are cut from a pool refilled 4 KiB at a time: one call per nonce would cost more than the HMAC. */
const POOL_BYTES = 4096;

export type NonceState =
  /** Issued here, for this realm, and younger than the lifetime. */
  | { readonly state: 'fresh'; readonly issuedAt: number }
  /** Issued here for this realm, but the lifetime has passed. */
  | { readonly state: 'expired'; readonly issuedAt: number }
  /** Not issued by this process for this realm: forged, damaged, another node's, or from before a restart. */
  | { readonly state: 'unknown' };

export interface NonceOptions {
  /** How long a nonce may be used. */
  readonly lifetimeMs: number;
  /** Milliseconds on a clock that never goes back (tests inject their own). */
  readonly now: () => number;
  /** The HMAC key; random by default, which is what production wants (see above). */
  readonly secret?: Buffer;
}

export class NonceIssuer {
  readonly lifetimeMs: number;
  private readonly now: () => number;
  /** A KeyObject, prepared once: HMAC with a raw Buffer key re-imports it on every call (about 9 times slower). */
  private readonly key: KeyObject;
  private readonly pool = Buffer.alloc(POOL_BYTES);
  private poolOffset = POOL_BYTES;

  constructor(options: NonceOptions) {
    this.lifetimeMs = options.lifetimeMs;
    this.now = options.now;
    this.key = createSecretKey(options.secret ?? randomBytes(32));
  }

  /** A new nonce for a challenge in `realm`. */
  issue(realm: string): string {
    const bytes = Buffer.allocUnsafe(NONCE_BYTES);
    bytes.writeUIntBE(Math.max(0, Math.floor(this.now())), 0, TIME_BYTES);
    if (this.poolOffset + RANDOM_BYTES > POOL_BYTES) {
      randomFillSync(this.pool);
      this.poolOffset = 0;
    }
    this.pool.copy(bytes, TIME_BYTES, this.poolOffset, this.poolOffset + RANDOM_BYTES);
    this.poolOffset += RANDOM_BYTES;
    this.mac(realm, bytes.subarray(0, SEALED_BYTES)).copy(bytes, SEALED_BYTES);
    return bytes.toString('base64url');
  }

  /** What a nonce from credentials is: fresh, expired, or not ours (then nothing it says can be trusted). */
  check(nonce: string, realm: string): NonceState {
    if (nonce.length !== NONCE_LENGTH || !/^[A-Za-z0-9_-]+$/.test(nonce)) return { state: 'unknown' };
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== NONCE_BYTES) return { state: 'unknown' };
    const expected = this.mac(realm, bytes.subarray(0, SEALED_BYTES));
    if (!timingSafeEqual(expected, bytes.subarray(SEALED_BYTES))) return { state: 'unknown' };
    const issuedAt = bytes.readUIntBE(0, TIME_BYTES);
    const age = this.now() - issuedAt;
    // A nonce from the future cannot have been issued by this clock: treat it as not ours.
    if (age < 0) return { state: 'unknown' };
    return age >= this.lifetimeMs ? { state: 'expired', issuedAt } : { state: 'fresh', issuedAt };
  }

  /** True when a nonce issued at `issuedAt` has expired at `now` (the nonce-count window forgets it then). */
  isExpired(issuedAt: number, now: number): boolean {
    return now - issuedAt >= this.lifetimeMs;
  }

  private mac(realm: string, sealed: Buffer): Buffer {
    return createHmac('sha256', this.key)
      .update(realm, 'utf8')
      .update('\0')
      .update(sealed)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}
