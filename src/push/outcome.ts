import type { Redis } from 'ioredis';
import { flagInvalidToken, tokenDigest } from './invalid-tokens.js';
import type { PushJob } from './job.js';
import type { PushKeys } from './keys.js';
import type { RejectReason } from './provider.js';
import { streamsOf } from './stream-reply.js';

/**
 * How a push job ended. Every job ends in exactly one of these, recorded once:
 * - delivered: the provider accepted the push (delivery to the device is then the provider's business);
 * - failed, with a reason: invalid-token (the binding is flagged), bad-request / auth / no-credentials (the
 *   provider refused, or nothing could send it), retries-exhausted (retryable errors until maxAttempts),
 *   malformed-job (unreadable entry), too-many-deliveries (workers kept dying on it);
 * - expired: its deadline (the call timeout) passed before a provider accepted it (reason `deadline`).
 */
export type FailureReason =
  'invalid-token' | RejectReason | 'retries-exhausted' | 'malformed-job' | 'too-many-deliveries';

export const FAILURE_REASONS: readonly (FailureReason | 'deadline')[] = [
  'invalid-token',
  'bad-request',
  'auth',
  'no-credentials',
  'retries-exhausted',
  'malformed-job',
  'too-many-deliveries',
  'deadline',
];

export interface PushOutcome {
  id: string;
  state: 'delivered' | 'failed' | 'expired';
  reason?: FailureReason | 'deadline';
  provider: 'fcm' | 'apns' | 'unknown';
  /** The last provider answer: HTTP status (0 or absent when none came) and the answer in a few words. */
  status?: number;
  answer: string;
  attempts: number;
  queuedAt: number;
  finishedAt: number;
  /** The consumer (worker) that recorded it. */
  worker: string;
}

/** The result stream has one entry with this fixed id: a second XADD of it fails, so the first outcome stands. */
const OUTCOME_ENTRY_ID = '1-0';
const OUTCOME_FIELD = 'outcome';

export interface RecordSettings {
  group: string;
  resultTtlS: number;
  deadLetterMaxLen: number;
  invalidTokenTtlS: number;
}

/**
 * Ends a job in one MULTI: the outcome (with its TTL), the acknowledgement and removal of the stream entry, and for
 * anything but a delivery a dead-letter entry, plus the invalid-token flag when that is the reason.
 *
 * Recording is idempotent without a script: the outcome is `XADD <result> 1-0`, which Redis refuses when the entry
 * exists. A worker that froze past the visibility timeout may finish a job another worker already ended; its XADD
 * fails inside the transaction, the other commands (XACK, XDEL of an entry already gone) change nothing, and the
 * first outcome stands. Returns 'duplicate' in that case. (Its dead-letter entry and invalid-token flag, if any,
 * still land: they record what that worker's provider answered, which stays true.)
 */
export async function recordOutcome(
  redis: Redis,
  keys: PushKeys,
  settings: RecordSettings,
  entryId: string,
  job: PushJob | undefined,
  outcome: PushOutcome,
): Promise<'recorded' | 'duplicate'> {
  const resultKey = keys.result(outcome.id);
  const multi = redis
    .multi()
    .xadd(resultKey, OUTCOME_ENTRY_ID, OUTCOME_FIELD, JSON.stringify(outcome))
    .expire(resultKey, settings.resultTtlS)
    .xack(keys.jobs, settings.group, entryId)
    .xdel(keys.jobs, entryId);
  if (outcome.state !== 'delivered') {
    const entry = { outcome, job: job ?? null, entryId };
    multi.xadd(keys.deadLetter, 'MAXLEN', '~', settings.deadLetterMaxLen, '*', 'entry', JSON.stringify(entry));
  }
  if (outcome.reason === 'invalid-token' && job) {
    const flag = {
      provider: job.target.provider,
      tokenDigest: tokenDigest(job.target.token),
      answer: outcome.answer,
      at: outcome.finishedAt,
      jobId: job.id,
    };
    flagInvalidToken(multi, keys, job.aor, job.instance, flag, settings.invalidTokenTtlS);
  }
  const replies = await multi.exec();
  if (!replies) throw new Error('recording the outcome: the transaction was aborted');
  const [first] = replies;
  if (first?.[0]) {
    if (/equal or smaller/i.test(first[0].message)) return 'duplicate';
    throw first[0];
  }
  const failed = replies.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
  return 'recorded';
}

/** A job's outcome if it has one. */
export async function readOutcome(redis: Redis, keys: PushKeys, jobId: string): Promise<PushOutcome | undefined> {
  const entries = (await redis.xrange(keys.result(jobId), '-', '+', 'COUNT', 1)) as [string, string[]][];
  return outcomeOf(entries[0]?.[1]);
}

/**
 * Waits for the outcomes of several jobs with blocking reads (XREAD BLOCK on their result streams), not by
 * polling; returns those that arrived within `timeoutMs`. `redis` must be a connection of its own: a blocked
 * connection serves no one else.
 */
export async function waitForOutcomes(
  redis: Redis,
  keys: PushKeys,
  jobIds: readonly string[],
  timeoutMs: number,
): Promise<Map<string, PushOutcome>> {
  const found = new Map<string, PushOutcome>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waiting = jobIds.filter((id) => !found.has(id));
    const left = deadline - Date.now();
    if (waiting.length === 0 || left <= 0) return found;
    const streams = waiting.map((id) => keys.result(id));
    // XREAD from 0: an outcome recorded before we started waiting is returned at once.
    const reply = await redis.call(
      'XREAD',
      'BLOCK',
      Math.max(1, Math.ceil(left)),
      'STREAMS',
      ...streams,
      ...streams.map(() => '0-0'),
    );
    for (const [stream, entries] of streamsOf(reply)) {
      const outcome = outcomeOf(entries[0]?.[1] ?? undefined);
      const id = waiting[streams.indexOf(stream)];
      if (outcome && id) found.set(id, outcome);
    }
  }
}

function outcomeOf(fields: string[] | undefined): PushOutcome | undefined {
  const index = fields?.indexOf(OUTCOME_FIELD) ?? -1;
  const text = index >= 0 ? fields?.[index + 1] : undefined;
  if (!text) return undefined;
  try {
    return JSON.parse(text) as PushOutcome;
  } catch {
    return undefined;
  }
}
