import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { freePort, RedisServer } from '../../src/local/redis-server.js';
import { newJob, type PushJob } from '../../src/push/job.js';
import { PushKeys } from '../../src/push/keys.js';
import { waitForOutcomes } from '../../src/push/outcome.js';
import { enqueuePush } from '../../src/push/queue.js';
import { FCM_ERRORS } from '../helpers/push-emulators/fcm-emulator.js';
import { BED, fcmToken, PushBed } from '../helpers/push-emulators/push-bed.js';
import { waitFor } from '../helpers/wait.js';

/*
 * Real worker processes (dist/src/push/main.js, as the `process` resource runs them), one data Redis, the
 * emulators. A worker is killed with SIGKILL while it holds a job; another worker must still get the push sent.
 */
const MAIN = fileURLToPath(new URL('../../src/push/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'stg-push-kill-'));
let bed: PushBed;
let server: RedisServer;
let redis: Redis;
let nodeFile: string;

test.before(async () => {
  [bed, server] = await Promise.all([
    PushBed.start(join(dir, 'bed')),
    RedisServer.start({ dir: join(dir, 'redis'), durable: false }),
  ]);
  redis = new Redis({ host: server.host, port: server.port });
  nodeFile = join(dir, 'node.yaml');
  writeFileSync(
    nodeFile,
    stringify({
      cluster: 'test',
      node: { id: 'stg1', address: '127.0.0.1' },
      lockMembers: [{ host: '127.0.0.1', port: 1 }], // not used by push workers
      dataStore: { host: server.host, port: server.port },
      paths: { stateDir: join(dir, 'state') },
      definitionFile: 'cluster.yaml', // not read by push workers
    }),
  );
});
test.after.always(async () => {
  redis?.disconnect();
  await Promise.all([bed?.close(), server?.stop('SIGKILL')]);
  rmSync(dir, { recursive: true, force: true });
});

/** A worker process: its log lines, its exit, and a kill by PID that the test's teardown repeats if needed. */
class WorkerProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  consumer = '';

  constructor(
    readonly child: ChildProcess,
    readonly metricsPort: number,
  ) {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    child.stderr?.on('data', (chunk: Buffer) => this.lines.push(chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(t: ExecutionContext, name: string, retry: Record<string, number> = {}): Promise<WorkerProcess> {
    const metricsPort = await freePort();
    const config = bed.writeConfig(`push-${name}.yaml`, {
      metrics: { port: metricsPort },
      retry: { ...(bed.config['retry'] as object), ...retry },
    });
    const child = spawn(process.execPath, [MAIN, '--node-file', nodeFile, '--push-config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new WorkerProcess(child, metricsPort);
    t.teardown(() => {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    });
    const started = await waitFor(
      `worker ${name} to start`,
      () => worker.lines.find((line) => line.includes('reading test:push:jobs')),
      {
        describe: () => worker.lines.join('\n'),
      },
    );
    worker.consumer = (JSON.parse(started) as { consumer: string }).consumer;
    return worker;
  }

  async kill(signal: NodeJS.Signals) {
    this.child.kill(signal);
    return this.exited;
  }
}

const keys = new PushKeys('test:push');
let seed = 0;
function fcmJob(): PushJob {
  seed += 1;
  return newJob({
    kind: 'call',
    aor: `kill${seed}@sips.example.es`,
    instance: `"<urn:uuid:00000000-0000-4000-8000-00000000000${seed}>"`,
    target: { provider: 'fcm', project: BED.fcmProject, token: fcmToken(5000 + seed) },
    call: { callId: `kill-${seed}`, fromUri: 'sip:100@sips.example.es', displayName: '' },
    timeoutMs: 30_000,
  });
}

/** The consumer holding a job's stream entry, from the group's pending list. */
async function holder(): Promise<string | undefined> {
  const pending = (await redis.xpending(keys.jobs, 'push-workers', '-', '+', 10)) as [string, string][];
  return pending[0]?.[1];
}

async function outcomeOf(job: PushJob) {
  const waiter = redis.duplicate();
  try {
    return (await waitForOutcomes(waiter, keys, [job.id], 15_000)).get(job.id);
  } finally {
    waiter.disconnect();
  }
}

test.serial(
  'a worker killed after the provider took the push: another worker sends it again (a duplicate)',
  async (t) => {
    const first = await WorkerProcess.start(t, 'a');
    const job = fcmJob();
    const device = bed.fcm.device(job.target.token, BED.fcmProjectId);
    const hold = bed.fcm.script.holdNext(1);
    t.teardown(() => hold.release());
    await enqueuePush(redis, keys, job);
    await hold.arrived; // the provider has the push (the device got it); its answer is held
    t.is(await holder(), first.consumer, 'the first worker holds the job');
    t.like(await first.kill('SIGKILL'), { signal: 'SIGKILL' });

    const second = await WorkerProcess.start(t, 'b');
    const outcome = await outcomeOf(job);
    t.like(outcome, { state: 'delivered', worker: second.consumer, attempts: 1 });
    // At least once: the second worker's push. The first one reached the provider before its worker died, and a
    // real provider would deliver it too: the device gets the push twice, which is the duplicate this design allows.
    t.is(device.pushes.length, 2);
    t.is(await redis.xlen(keys.jobs), 0);

    const metrics = await (await fetch(`http://127.0.0.1:${second.metricsPort}/metrics`)).text();
    t.regex(metrics, /stg_push_sent_total\{provider="fcm"\} 1\n/);
    t.regex(metrics, /stg_push_latency_seconds_count\{provider="fcm"\} 1\n/);
    t.regex(metrics, /stg_push_failed_total\{provider="fcm",reason="invalid-token"\} 0\n/);
    t.like(await second.kill('SIGTERM'), { code: 0 }, 'SIGTERM: a clean exit');
  },
);

test.serial('a worker killed while waiting to retry: another worker sends the push once, no duplicate', async (t) => {
  // A long backoff keeps the first worker between attempts, holding the job, when it is killed.
  const first = await WorkerProcess.start(t, 'c', { baseDelayMs: 20_000, maxDelayMs: 20_000 });
  const job = fcmJob();
  const device = bed.fcm.device(job.target.token, BED.fcmProjectId);
  bed.fcm.failNext(1, FCM_ERRORS.UNAVAILABLE);
  const requestsBefore = bed.fcm.sendRequests;
  await enqueuePush(redis, keys, job);
  await waitFor('the first attempt to be refused', () => bed.fcm.sendRequests > requestsBefore);
  t.is(await holder(), first.consumer);
  await first.kill('SIGKILL');

  const second = await WorkerProcess.start(t, 'd');
  t.like(await outcomeOf(job), { state: 'delivered', worker: second.consumer });
  t.is(device.pushes.length, 1, 'the refused attempt reached no device: exactly one push');
  await second.kill('SIGTERM');
});
