/*
 * Replay protection by nonce count (RFC 7616 section 3.4: the server remembers the nc values it has seen for each
 * nonce and refuses one used again). Per nonce: the highest nc and a 32-bit mask of the counts just below it, so
 * requests sent in parallel with one nonce may arrive out of order (UDP) and still pass, each only once.
 *
 * Memory is bounded: a nonce is forgotten once it expires (its credentials are refused as stale from then on), and
 * past `maxNonces` the nonce first seen longest ago is dropped. A dropped nonce must never be accepted again, so the
 * window remembers the latest issue time it ever dropped, and a nonce issued at or before it that is not in the
 * table is "forgotten": the caller answers it as stale, and the client retries with a fresh one.
 */

const MASK_BITS = 32;
/**
 * How long after its first use a request can still be a retransmission: 64*T1, the longest a client retransmits
 * (RFC 3261 Timers B and F). Later, the same bytes are a replay, whatever transaction they name.
 */
export const RETRANSMISSION_WINDOW_MS = 64 * 500;

export type CountVerdict =
  /** First use of this nc with this nonce: accept. */
  | 'ok'
  /** This nc was seen before with this nonce, or is too far below the highest to tell: refuse. */
  | 'replayed'
  /**
   * The same nc with the same transaction as the last use, within RETRANSMISSION_WINDOW_MS of it: a UDP
   * retransmission (or a verbatim replay, which the transaction layer absorbs as one): refuse.
   */
  | 'retransmission'
  /** The nonce may have been used before but its entry was dropped for room: refuse as stale. */
  | 'forgotten';

interface Entry {
  readonly issuedAt: number;
  highest: number;
  /** Bit i set: nc = highest - i was seen. */
  seen: number;
  /** What identifies the request that used `highest` (its Via branch): tells a retransmission from a replay. */
  lastRequest: string;
  /** When `highest` was first used. */
  lastAt: number;
}

export class NonceCountWindow {
  private readonly entries = new Map<string, Entry>();
  private droppedUpTo = -Infinity;

  /**
   * @param maxNonces how many nonces to remember at most.
   * @param isExpired the nonce issuer's expiry rule; the window forgets exactly the nonces the issuer refuses.
   */
  constructor(
    private readonly maxNonces: number,
    private readonly isExpired: (issuedAt: number, now: number) => boolean,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Records that credentials with `nonce` (issued at `issuedAt`) and count `nc` were verified at `now`, and says
   * whether that use is the first. Call it only after the response was verified, so that nobody without the
   * password can fill the table.
   */
  use(nonce: string, issuedAt: number, nc: number, now: number, request: string): CountVerdict {
    this.forgetExpired(now);
    const entry = this.entries.get(nonce);
    if (entry === undefined) {
      if (issuedAt <= this.droppedUpTo) return 'forgotten';
      if (this.entries.size >= this.maxNonces) this.dropOldest();
      this.entries.set(nonce, { issuedAt, highest: nc, seen: 1, lastRequest: request, lastAt: now });
      return 'ok';
    }
    if (nc > entry.highest) {
      const shift = nc - entry.highest;
      entry.seen = shift >= MASK_BITS ? 1 : ((entry.seen << shift) | 1) >>> 0;
      entry.highest = nc;
      entry.lastRequest = request;
      entry.lastAt = now;
      return 'ok';
    }
    const offset = entry.highest - nc;
    if (offset >= MASK_BITS) return 'replayed';
    const bit = (1 << offset) >>> 0;
    if ((entry.seen & bit) !== 0) {
      const retransmission =
        offset === 0 && request === entry.lastRequest && now - entry.lastAt <= RETRANSMISSION_WINDOW_MS;
      return retransmission ? 'retransmission' : 'replayed';
    }
    entry.seen = (entry.seen | bit) >>> 0;
    return 'ok';
  }

  /** Drops expired nonces from the front (first seen longest ago); the rest go when they reach the front. */
  private forgetExpired(now: number): void {
    for (const [nonce, entry] of this.entries) {
      if (!this.isExpired(entry.issuedAt, now)) break;
      this.entries.delete(nonce);
    }
  }

  private dropOldest(): void {
    const first = this.entries.entries().next();
    if (first.done) return;
    const [nonce, entry] = first.value;
    this.entries.delete(nonce);
    this.droppedUpTo = Math.max(this.droppedUpTo, entry.issuedAt);
  }
}
