/**
 * Connection slots: how many connections each source address holds, and how many there are in all, across TCP,
 * TLS, WS and WSS. A slot is taken when a connection is admitted (before its PROXY header, TLS handshake or upgrade
 * finished, so that half-open handshakes count too) and given back exactly once when its socket closes. Exempt
 * sources (the PBX, HAProxy itself) are not counted per source, but still count in the total.
 */
export class SourceSlots {
  private readonly perSource = new Map<string, number>();
  private readonly exempt: ReadonlySet<string>;
  private total = 0;

  constructor(
    private readonly perSourceLimit: number,
    private readonly totalLimit: number,
    exempt: Iterable<string>,
  ) {
    this.exempt = new Set(exempt);
  }

  /**
   * Takes a slot for `address`; returns the function that gives it back (idempotent), or undefined when the source
   * or the whole process is at its limit. `perSource` false counts it in the total only: a connection from HAProxy
   * before its PROXY header named the client, who is then counted instead.
   */
  take(address: string, perSource = true): (() => void) | undefined {
    if (this.total >= this.totalLimit) return undefined;
    const counted = perSource && !this.exempt.has(address);
    if (counted) {
      const held = this.perSource.get(address) ?? 0;
      if (held >= this.perSourceLimit) return undefined;
      this.perSource.set(address, held + 1);
    }
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      if (!counted) return;
      const left = (this.perSource.get(address) ?? 1) - 1;
      if (left > 0) this.perSource.set(address, left);
      else this.perSource.delete(address);
    };
  }

  held(address: string): number {
    return this.perSource.get(address) ?? 0;
  }

  get inAll(): number {
    return this.total;
  }
}
