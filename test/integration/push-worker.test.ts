import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import { RedisServer } from '../../src/local/redis-server.js';
import { readInvalidTokens, tokenDigest } from '../../src/push/invalid-tokens.js';
import { newJob, type PushJob } from '../../src/push/job.js';
import { PushKeys } from '../../src/push/keys.js';
import { PushMetrics } from '../../src/push/metrics.js';
import { readOutcome, recordOutcome, waitForOutcomes, type PushOutcome } from '../../src/push/outcome.js';
import type { PushTarget } from '../../src/push/push-target.js';
import { enqueuePush, ensureGroup } from '../../src/push/queue.js';
import { PushWorker } from '../../src/push/worker.js';
import { silentLog } from '../../src/silent-log.js';
import { APNS_ERRORS } from '../helpers/push-emulators/apns-emulator.js';
import { FCM_ERRORS } from '../helpers/push-emulators/fcm-emulator.js';
import { apnsToken, BED, fcmToken, providersFrom, PushBed } from '../helpers/push-emulators/push-bed.js';

const dir = mkdtempSync(join(tmpdir(), 'stg-push-worker-'));
let bed: PushBed;
let server: RedisServer;
let redis: Redis;
let waiter: Redis;

test.before(async () => {
  [bed, server] = await Promise.all([
    PushBed.start(join(dir, 'bed')),
    RedisServer.start({ dir: join(dir, 'redis'), durable: false }),
  ]);
  redis = new Redis({ host: server.host, port: server.port });
  waiter = new Redis({ host: server.host, port: server.port }); // blocking reads need their own connection
});
test.after.always(async () => {
  redis?.disconnect();
  waiter?.disconnect();
  await Promise.all([bed?.close(), server?.stop('SIGKILL')]);
  rmSync(dir, { recursive: true, force: true });
});
test.afterEach.always(() => {
  bed.fcm.script.clearFailures();
  bed.apns.script.clearFailures();
});

let prefixes = 0;
/** A worker on a queue of its own (fresh key prefix), stopped when the test ends. */
async function startWorker(
  t: ExecutionContext,
  retry: Record<string, number> = {},
  queue: { keys?: PushKeys; maxDeliveries?: number } = {},
) {
  const keys = queue.keys ?? new PushKeys(`t${(prefixes += 1)}:push`);
  const { config, providers } = await providersFrom(bed.configFile);
  const metrics = new PushMetrics({ processMetrics: false });
  const worker = new PushWorker({
    redis,
    keys,
    queue: { ...config.queue, prefix: keys.prefix, maxDeliveries: queue.maxDeliveries ?? config.queue.maxDeliveries },
    retry: { ...config.retry, ...retry },
    invalidTokenTtlS: config.invalidTokenTtlS,
    consumer: `test-${prefixes}`,
    providers,
    log: silentLog,
    metrics,
  });
  await worker.start();
  t.teardown(async () => {
    await worker.stop(1000);
    await Promise.all([providers.fcm?.close(), providers.apns?.close()]);
  });
  return { keys, worker, metrics };
}

let seed = 1000;
function job(target: Partial<PushTarget> & { provider: PushTarget['provider'] }, timeoutMs = 20_000): PushJob {
  const full: PushTarget =
    target.provider === 'fcm'
      ? { project: BED.fcmProject, token: fcmToken((seed += 1)), ...target }
      : ({
          environment: 'production',
          teamId: BED.teamId,
          bundle: BED.bundle,
          service: 'voip',
          token: apnsToken((seed += 1)),
          ...target,
        } as PushTarget);
  return newJob({
    kind: 'call',
    aor: `user${seed}@sips.example.es`,
    instance: `"<urn:uuid:00000000-0000-4000-8000-${String(seed).padStart(12, '0')}>"`,
    target: full,
    call: { callId: `call-${seed}`, fromUri: 'sip:100@sips.example.es', displayName: 'Desk' },
    timeoutMs,
  });
}

async function outcomeOf(keys: PushKeys, pushJob: PushJob, timeoutMs = 10_000): Promise<PushOutcome> {
  const outcome = (await waitForOutcomes(waiter, keys, [pushJob.id], timeoutMs)).get(pushJob.id);
  if (!outcome) throw new Error(`no outcome for ${pushJob.id} within ${timeoutMs} ms`);
  return outcome;
}

test.serial('a queued job is delivered; its outcome is recorded with a TTL and the stream entry is gone', async (t) => {
  const { keys, metrics } = await startWorker(t);
  const pushJob = job({ provider: 'fcm' });
  const device = bed.fcm.device(pushJob.target.token, BED.fcmProjectId);
  await enqueuePush(redis, keys, pushJob);
  const outcome = await outcomeOf(keys, pushJob);
  t.like(outcome, { id: pushJob.id, state: 'delivered', provider: 'fcm', status: 200, attempts: 1 });
  t.is(device.pushes.length, 1);
  t.true((await redis.ttl(keys.result(pushJob.id))) > 3000, 'the outcome expires (resultTtlS)');
  t.is(await redis.xlen(keys.jobs), 0, 'the job entry is deleted');
  t.is(((await redis.xpending(keys.jobs, 'push-workers')) as [number])[0], 0, 'and acknowledged');
  t.deepEqual(await readOutcome(redis, keys, pushJob.id), outcome, 'readable later too');
  t.regex(await metrics.text(), /stg_push_sent_total\{provider="fcm"\} 1/);
  t.is(await redis.xlen(keys.deadLetter), 0);
});

test.serial('an invalid token fails the job, flags the binding and goes to the dead letter', async (t) => {
  const { keys, metrics } = await startWorker(t);
  const pushJob = job({ provider: 'fcm' }); // a token FCM has never seen: UNREGISTERED
  await enqueuePush(redis, keys, pushJob);
  t.like(await outcomeOf(keys, pushJob), { state: 'failed', reason: 'invalid-token', status: 404, attempts: 1 });
  const flags = await readInvalidTokens(redis, keys, pushJob.aor);
  t.like(flags.get(pushJob.instance), {
    provider: 'fcm',
    tokenDigest: tokenDigest(pushJob.target.token),
    jobId: pushJob.id,
  });
  t.true((await redis.ttl(keys.invalidTokens(pushJob.aor))) > 0);
  const [[, fields]] = (await redis.xrange(keys.deadLetter, '-', '+')) as [[string, string[]]];
  t.like(JSON.parse(fields[1]!), { outcome: { reason: 'invalid-token' }, job: { id: pushJob.id } });
  t.regex(await metrics.text(), /stg_push_failed_total\{provider="fcm",reason="invalid-token"\} 1/);
  t.is(await redis.exists(`fs:${pushJob.aor}`), 0, 'the registration record itself is not touched');
});

test.serial('5xx answers are retried with backoff until the provider accepts', async (t) => {
  const { keys } = await startWorker(t);
  const pushJob = job({ provider: 'fcm' });
  const device = bed.fcm.device(pushJob.target.token, BED.fcmProjectId);
  bed.fcm.failNext(1, FCM_ERRORS.UNAVAILABLE);
  bed.fcm.failNext(1, FCM_ERRORS.INTERNAL);
  await enqueuePush(redis, keys, pushJob);
  t.like(await outcomeOf(keys, pushJob), { state: 'delivered', attempts: 3 });
  t.is(device.pushes.length, 1, 'refused attempts reached no device');
});

test.serial('429 with Retry-After: the next attempt waits at least that long', async (t) => {
  const { keys } = await startWorker(t);
  const pushJob = job({ provider: 'apns' });
  const device = bed.apns.device(pushJob.target.token, BED.bundle, 'voip');
  bed.apns.failNext(1, APNS_ERRORS.TooManyRequests(1));
  const queuedAt = Date.now();
  await enqueuePush(redis, keys, pushJob);
  const outcome = await outcomeOf(keys, pushJob);
  t.like(outcome, { state: 'delivered', attempts: 2 });
  t.true(device.pushes[0]!.at - queuedAt >= 1000, `accepted ${device.pushes[0]!.at - queuedAt} ms after queueing`);
});

test.serial('retryable errors beyond maxAttempts fail the job as retries-exhausted', async (t) => {
  const { keys } = await startWorker(t, { maxAttempts: 3 });
  const pushJob = job({ provider: 'fcm' });
  bed.fcm.device(pushJob.target.token, BED.fcmProjectId);
  bed.fcm.failNext(10, FCM_ERRORS.UNAVAILABLE);
  await enqueuePush(redis, keys, pushJob);
  t.like(await outcomeOf(keys, pushJob), { state: 'failed', reason: 'retries-exhausted', attempts: 3, status: 503 });
});

test.serial('a job whose deadline passes while retrying ends expired with the last answer', async (t) => {
  const { keys } = await startWorker(t, { maxAttempts: 100 });
  const pushJob = job({ provider: 'apns' }, 500);
  bed.apns.device(pushJob.target.token, BED.bundle, 'voip');
  bed.apns.failNext(1000, APNS_ERRORS.ServiceUnavailable);
  await enqueuePush(redis, keys, pushJob);
  const outcome = await outcomeOf(keys, pushJob);
  t.like(outcome, { state: 'expired', reason: 'deadline', status: 503, answer: '503 ServiceUnavailable' });
  t.true(outcome.attempts >= 2 && outcome.attempts < 100);
  t.true(outcome.finishedAt <= pushJob.deadline + 1000, 'it ended around its deadline');
});

test.serial('a retry that would come after the deadline is not waited for: the job expires at once', async (t) => {
  const { keys } = await startWorker(t, { baseDelayMs: 5000, maxDelayMs: 5000 });
  const pushJob = job({ provider: 'fcm' }, 2000);
  bed.fcm.device(pushJob.target.token, BED.fcmProjectId);
  bed.fcm.failNext(1, FCM_ERRORS.UNAVAILABLE);
  await enqueuePush(redis, keys, pushJob);
  const outcome = await outcomeOf(keys, pushJob);
  t.like(outcome, { state: 'expired', reason: 'deadline', attempts: 1, status: 503 });
  t.true(outcome.finishedAt < pushJob.deadline, 'ended before the deadline, not at it');
});

test.serial('a job taken after its deadline expires without a request to the provider', async (t) => {
  const { keys } = await startWorker(t);
  const stale = { ...job({ provider: 'fcm' }), deadline: Date.now() - 1 };
  const before = bed.fcm.sendRequests;
  await enqueuePush(redis, keys, stale);
  t.like(await outcomeOf(keys, stale), { state: 'expired', reason: 'deadline', attempts: 0, answer: 'not sent' });
  t.is(bed.fcm.sendRequests, before);
});

test.serial('a malformed entry fails on its own; the worker goes on with the next job', async (t) => {
  const { keys } = await startWorker(t);
  const entryId = await redis.xadd(keys.jobs, '*', 'job', '{"id": "broken-1", "kind": "call"');
  const other = await redis.xadd(keys.jobs, '*', 'job', JSON.stringify({ id: 'broken-2', kind: 'fax' }));
  const good = job({ provider: 'fcm' });
  bed.fcm.device(good.target.token, BED.fcmProjectId);
  await enqueuePush(redis, keys, good);
  t.like(await outcomeOf(keys, good), { state: 'delivered' });
  const outcomes = await waitForOutcomes(waiter, keys, [`entry-${entryId}`, 'broken-2'], 5000);
  t.like(outcomes.get(`entry-${entryId}`), {
    state: 'failed',
    reason: 'malformed-job',
    answer: 'the job is not valid JSON',
  });
  t.like(outcomes.get('broken-2'), { state: 'failed', reason: 'malformed-job' });
  t.truthy(other);
  t.is(await redis.xlen(keys.deadLetter), 2);
});

test.serial('an expired provider token is replaced and the push retried', async (t) => {
  const { keys } = await startWorker(t);
  const pushJob = job({ provider: 'apns' });
  bed.apns.device(pushJob.target.token, BED.bundle, 'voip');
  bed.apns.failNext(1, APNS_ERRORS.ExpiredProviderToken);
  await enqueuePush(redis, keys, pushJob);
  t.like(await outcomeOf(keys, pushJob), { state: 'delivered', attempts: 2 });
});

test.serial(
  'an outcome is recorded once: a late second recording (a frozen worker) is reported and ignored',
  async (t) => {
    const keys = new PushKeys('t-record:push');
    const pushJob = job({ provider: 'fcm' });
    const settings = { group: 'push-workers', resultTtlS: 60, deadLetterMaxLen: 100, invalidTokenTtlS: 60 };
    const first: PushOutcome = {
      id: pushJob.id,
      state: 'delivered',
      provider: 'fcm',
      status: 200,
      answer: '200 first',
      attempts: 1,
      queuedAt: pushJob.queuedAt,
      finishedAt: Date.now(),
      worker: 'a',
    };
    t.is(await recordOutcome(redis, keys, settings, '1-1', pushJob, first), 'recorded');
    const late = {
      ...first,
      state: 'failed' as const,
      reason: 'invalid-token' as const,
      answer: '410 Unregistered',
      worker: 'b',
    };
    t.is(await recordOutcome(redis, keys, settings, '1-1', pushJob, late), 'duplicate');
    t.deepEqual(await readOutcome(redis, keys, pushJob.id), first);
  },
);

test.serial(
  'a job a dead consumer held is taken over after the visibility timeout, or failed past maxDeliveries',
  async (t) => {
    const keys = new PushKeys('t-ghost:push');
    await ensureGroup(redis, keys, 'push-workers');
    const [taken, poisoned] = [job({ provider: 'fcm' }), job({ provider: 'fcm' })];
    const device = bed.fcm.device(taken.target.token, BED.fcmProjectId);
    // A consumer reads the first job and never comes back (its worker died before doing anything).
    await enqueuePush(redis, keys, taken);
    await redis.xreadgroup('GROUP', 'push-workers', 'ghost', 'COUNT', 1, 'STREAMS', keys.jobs, '>');
    // The second was delivered three times already (read, then claimed twice: XCLAIM counts a delivery).
    const poisonedEntry = await enqueuePush(redis, keys, poisoned);
    await redis.xreadgroup('GROUP', 'push-workers', 'ghost-1', 'COUNT', 1, 'STREAMS', keys.jobs, '>');
    await redis.xclaim(keys.jobs, 'push-workers', 'ghost-2', 0, poisonedEntry);
    await redis.xclaim(keys.jobs, 'push-workers', 'ghost-3', 0, poisonedEntry);

    const { worker } = await startWorker(t, {}, { keys, maxDeliveries: 3 });
    const outcomes = await waitForOutcomes(waiter, keys, [taken.id, poisoned.id], 10_000);
    t.like(outcomes.get(taken.id), { state: 'delivered', worker: worker.consumer });
    t.is(device.pushes.length, 1);
    t.like(outcomes.get(poisoned.id), { state: 'failed', reason: 'too-many-deliveries', attempts: 0 });
  },
);
