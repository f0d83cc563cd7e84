/**
 * Waits until `check` returns a value other than undefined/false, re-checking every `everyMs`; fails after
 * `timeoutMs` with `what` in the message. This is a bounded wait on a condition, not a sleep.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  {
    timeoutMs = 10_000,
    everyMs = 20,
    describe,
  }: { timeoutMs?: number; everyMs?: number; describe?: () => Promise<string> | string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      // What the world looked like at the end says more than "timed out" when a run on CI fails.
      const seen = describe
        ? `; last seen: ${await Promise.resolve(describe()).catch((error: unknown) => String(error))}`
        : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
