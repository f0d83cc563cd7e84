/**
 * Per-source message rate (a token bucket per source address): a source may send `rate` messages per second on
 * average and save up `burst`. Sources listed as exempt are never counted. Buckets that refilled are forgotten by
 * `sweep()`, so the table holds only sources that sent recently; when a flood of new sources fills it to
 * `maxTracked`, new sources are refused until a sweep makes room (fail closed: memory stays bounded).
 */
export class SourceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly exempt: ReadonlySet<string>;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    exempt: Iterable<string> = [],
    private readonly now: () => number = () => performance.now(),
    private readonly maxTracked = 200_000,
  ) {
    this.exempt = new Set(exempt);
  }

  /** Takes one token for a message from `address`; false when the source is over its rate. */
  take(address: string): boolean {
    if (this.exempt.has(address)) return true;
    const now = this.now();
    let bucket = this.buckets.get(address);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxTracked && this.sweep() === 0) return false;
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(address, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.rate) / 1000);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  isExempt(address: string): boolean {
    return this.exempt.has(address);
  }

  /** Forgets the sources whose bucket is full again; returns how many. */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const [address, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) * this.rate) / 1000 >= this.burst) {
        this.buckets.delete(address);
        removed++;
      }
    }
    return removed;
  }

  get tracked(): number {
    return this.buckets.size;
  }
}
