import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { RedisServer } from '../src/local/redis-server.js';
import { JOB_FIELD, newJob, type PushJob } from '../src/push/job.js';
import { PushKeys } from '../src/push/keys.js';
import { waitForOutcomes, type PushOutcome } from '../src/push/outcome.js';
import { apnsToken, BED, fcmToken, PushBed } from '../test/helpers/push-emulators/push-bed.js';
import { waitFor } from '../test/helpers/wait.js';
import type { BenchResult } from './run.js';
import { writeWorkerNodeFile } from './worker-node-file.js';
import { summarize } from './stats.js';

const MAIN = fileURLToPath(new URL('../src/push/main.js', import.meta.url));

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  const value = at >= 0 ? Number(args[at + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * One push worker process (dist/src/push/main.js, default queue settings: 32 jobs at a time) against the local
 * FCM and APNs emulators (HTTP/2 over TLS, real JWT checks), half the jobs for each provider, on one data Redis.
 *  1. Throughput: `--count` jobs queued at once; pushes/s = count / (last outcome - first queued).
 *  2. Latency: jobs queued at `--rate` per second (default: half the measured throughput) for `--seconds`;
 *     latency = the job's queue time to the moment its provider's accepting answer was handled.
 * The emulators and the producer run in this process, on the same machine as the worker: they share its CPUs.
 */
export async function run(args: string[]): Promise<BenchResult> {
  const count = option(args, '--count', 2000);
  const seconds = option(args, '--seconds', 5);
  const dir = mkdtempSync(join(tmpdir(), 'stg-bench-push-'));
  const [bed, server] = await Promise.all([
    PushBed.start(join(dir, 'bed'), { overrides: { queue: { prefix: 'bench:push' } } }),
    RedisServer.start({ dir: join(dir, 'redis'), durable: false }),
  ]);
  const redis = new Redis({ host: server.host, port: server.port });
  const waiter = redis.duplicate();
  const keys = new PushKeys('bench:push');
  const nodeFile = writeWorkerNodeFile(dir, server);
  const worker = spawn(process.execPath, [MAIN, '--node-file', nodeFile, '--push-config', bed.configFile], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, STG_LOG_LEVEL: 'warn' },
  });
  let seed = 0;
  const makeJob = (): PushJob => {
    seed += 1;
    const fcm = seed % 2 === 0;
    const token = fcm ? fcmToken(seed) : apnsToken(seed);
    if (fcm) bed.fcm.device(token, BED.fcmProjectId);
    else bed.apns.device(token, BED.bundle, 'voip');
    return newJob({
      kind: 'call',
      aor: `bench${seed}@sips.example.es`,
      instance: `"<urn:uuid:00000000-0000-4000-8000-${String(seed).padStart(12, '0')}>"`,
      target: fcm
        ? { provider: 'fcm', project: BED.fcmProject, token }
        : {
            provider: 'apns',
            environment: 'production',
            teamId: BED.teamId,
            bundle: BED.bundle,
            service: 'voip',
            token,
          },
      call: { callId: `bench-${seed}`, fromUri: 'sip:100@sips.example.es', displayName: 'Bench' },
      timeoutMs: 60_000,
    });
  };
  const accepted = () => bed.fcm.accepted + bed.apns.accepted;
  try {
    // Warm-up: the worker is up, its sessions open and its tokens fetched before anything is measured.
    const warm = Array.from({ length: 20 }, makeJob);
    await queue(redis, keys, warm);
    await outcomes(waiter, keys, warm, 30_000);

    const burst = Array.from({ length: count }, makeJob);
    const acceptedBefore = accepted();
    const startedAt = Date.now();
    await queue(redis, keys, burst);
    await waitFor('the burst to be accepted', () => accepted() - acceptedBefore >= count, {
      timeoutMs: 300_000,
      everyMs: 50,
    });
    const burstOutcomes = await outcomes(waiter, keys, burst, 30_000);
    const lastAt = Math.max(...burstOutcomes.map((outcome) => outcome.finishedAt));
    const pushesPerS = Math.round((count / (lastAt - startedAt)) * 1000);
    const burstFailed = burstOutcomes.filter((outcome) => outcome.state !== 'delivered').length;

    const rate = option(args, '--rate', Math.max(1, Math.round(pushesPerS / 2)));
    const paced: PushJob[] = [];
    const total = Math.round(rate * seconds);
    const pacedStart = Date.now();
    for (let index = 0; index < total; index += 1) {
      // Each job is queued at its slot on the schedule (not after a fixed pause), so the rate holds.
      const wait = pacedStart + (index * 1000) / rate - Date.now();
      if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const job = makeJob();
      paced.push(job);
      await queue(redis, keys, [job]);
    }
    const pacedOutcomes = await outcomes(waiter, keys, paced, 60_000);
    const latency = summarize(pacedOutcomes.map((outcome) => outcome.finishedAt - outcome.queuedAt));
    const pacedFailed = pacedOutcomes.filter((outcome) => outcome.state !== 'delivered').length;
    return {
      lines: [
        `push-send: one worker process (concurrency 32) against the FCM and APNs emulators (HTTP/2, TLS), half each, one data Redis, all on this machine`,
        `  throughput: ${count} jobs queued at once: ${pushesPerS} pushes/s (${lastAt - startedAt} ms, ${burstFailed} not delivered)`,
        `  latency at ${rate} pushes/s for ${seconds} s (${total} jobs, ${pacedFailed} not delivered), queued -> provider answer:`,
        `    p50 ${latency.p50} ms, p95 ${latency.p95} ms, max ${latency.max} ms (min ${latency.min})`,
      ],
      figures: {
        bench: 'push-send',
        pushes_per_s: pushesPerS,
        latency_ms: { p50: latency.p50, p95: latency.p95 },
        latency_rate_per_s: rate,
        count,
      },
    };
  } finally {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    redis.disconnect();
    waiter.disconnect();
    await Promise.all([bed.close(), server.stop('SIGKILL')]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function queue(redis: Redis, keys: PushKeys, jobs: PushJob[]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const job of jobs) pipeline.xadd(keys.jobs, '*', JOB_FIELD, JSON.stringify({ ...job, queuedAt: Date.now() }));
  await pipeline.exec();
}

async function outcomes(redis: Redis, keys: PushKeys, jobs: PushJob[], timeoutMs: number): Promise<PushOutcome[]> {
  const found = new Map<string, PushOutcome>();
  // Several hundred keys per blocking read keep each command small.
  for (let start = 0; start < jobs.length; start += 500) {
    const ids = jobs.slice(start, start + 500).map((job) => job.id);
    for (const [id, outcome] of await waitForOutcomes(redis, keys, ids, timeoutMs)) found.set(id, outcome);
  }
  if (found.size < jobs.length) throw new Error(`${jobs.length - found.size} jobs without an outcome`);
  return [...found.values()];
}
