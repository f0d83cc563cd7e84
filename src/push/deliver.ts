import { retryDelayMs } from './backoff.js';
import type { PushConfig } from './config.js';
import type { PushJob } from './job.js';
import type { PushOutcome } from './outcome.js';
import type { AttemptResult, PushProvider } from './provider.js';

export interface DeliverDeps {
  /** The provider for a target's provider name, or undefined when the configuration has none. */
  provider(name: 'fcm' | 'apns'): PushProvider | undefined;
  retry: PushConfig['retry'];
  now(): number;
  /** Waits `ms`; resolves false when `signal` aborted the wait. */
  sleep(ms: number, signal: AbortSignal): Promise<boolean>;
  onAttempt?(provider: 'fcm' | 'apns', result: AttemptResult): void;
}

/** An outcome without the fields the worker adds (its name, the job's id and queue time). */
export type Ending = Omit<PushOutcome, 'id' | 'worker' | 'queuedAt' | 'provider'>;

/**
 * Sends one job: attempts until the provider accepts or refuses for good, waiting between retryable failures
 * (backoff, or the provider's Retry-After when longer), and never past the job's deadline: a push that would
 * arrive after the call ended only rings a phone for nothing. Each attempt's time-to-live at the provider is the
 * time left to the deadline. Returns 'abandoned' when `signal` stops it between attempts (the worker is stopping:
 * the job stays pending and another worker takes it).
 */
export async function deliver(job: PushJob, deps: DeliverDeps, signal: AbortSignal): Promise<Ending | 'abandoned'> {
  const name = job.target.provider;
  let attempts = 0;
  let last: AttemptResult | undefined;
  const end = (state: Ending['state'], reason: Ending['reason']): Ending => ({
    state,
    reason,
    status: last && 'status' in last ? last.status : undefined,
    answer: last?.answer ?? 'not sent',
    attempts,
    finishedAt: deps.now(),
  });

  const provider = deps.provider(name);
  if (!provider) {
    last = { kind: 'rejected', answer: `no ${name} section in the push configuration`, reason: 'no-credentials' };
    return end('failed', 'no-credentials');
  }
  for (;;) {
    const now = deps.now();
    const left = job.deadline - now;
    if (left <= 0) return end('expired', 'deadline');
    last = await provider.send(job, {
      ttlS: left / 1000,
      now,
      timeoutMs: Math.max(1, Math.min(deps.retry.requestTimeoutMs, left)),
    });
    attempts += 1;
    deps.onAttempt?.(name, last);
    switch (last.kind) {
      case 'accepted':
        return end('delivered', undefined);
      case 'invalid-token':
        return end('failed', 'invalid-token');
      case 'rejected':
        return end('failed', last.reason);
      case 'retry': {
        if (attempts >= deps.retry.maxAttempts) return end('failed', 'retries-exhausted');
        const delay = retryDelayMs(attempts, deps.retry, last.afterMs);
        // Waiting past the deadline cannot end well: say so now rather than at the deadline.
        if (deps.now() + delay >= job.deadline) return end('expired', 'deadline');
        if (!(await deps.sleep(delay, signal))) return 'abandoned';
      }
    }
  }
}

/** A sleep that an AbortSignal cuts short (false when cut). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
