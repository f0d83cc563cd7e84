/**
 * How long to wait before attempt `attempt + 1` after `attempt` failed: exponential (base * 2^(attempt-1)), capped,
 * with "equal jitter" (half fixed, half random) so that workers retrying after the same provider outage do not
 * come back in step. A provider's own Retry-After is a floor: asking sooner would only be refused again.
 */
export function retryDelayMs(
  attempt: number,
  policy: { baseDelayMs: number; maxDelayMs: number },
  providerAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.round(Math.max(jittered, providerAfterMs ?? 0));
}

/**
 * A Retry-After header (RFC 9110 10.2.3): delay-seconds or an HTTP-date. Undefined when absent or unreadable; a
 * date in the past is 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
