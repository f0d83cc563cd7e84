/** p50/p95/max of a sample, rounded to whole milliseconds. */
export function summarize(samples: number[]): { n: number; p50: number; p95: number; max: number; min: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return {
    n: sorted.length,
    min: Math.round(sorted[0] ?? NaN),
    p50: Math.round(at(0.5)),
    p95: Math.round(at(0.95)),
    max: Math.round(at(1)),
  };
}
