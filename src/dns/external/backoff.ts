export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}

/**
 * The wait before retry number `failures` (1 after the first failure): initialMs, then times `factor` per failure,
 * capped at maxMs. No jitter: a single leader updates a single server, there is no herd to spread.
 */
export function backoffDelay(failures: number, { initialMs, maxMs, factor }: Backoff): number {
  if (failures < 1) return 0;
  // Compared in the exponent, so a long outage cannot overflow to Infinity.
  const exponent = failures - 1;
  if (factor > 1 && exponent >= Math.log(maxMs / initialMs) / Math.log(factor)) return maxMs;
  return Math.min(maxMs, Math.round(initialMs * factor ** exponent));
}
