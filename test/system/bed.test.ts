import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { waitFor } from '../helpers/wait.js';
import { AddressRecorder, mergeTimelines } from './address-timeline.js';
import { BED_VIP, TestBed, wallNow, type HostName } from './bed.js';
import { requireRoot } from './require-root.js';

const run = promisify(execFile);
const OWNER = fileURLToPath(new URL('./bed-owner.js', import.meta.url));

async function netnsList(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** kill(pid, 0): true while the PID exists (a zombie still does, until its parent reaps it). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}

/**
 * Every namespace and process of a bed is gone. A killed process whose parent died too is reparented to PID 1,
 * which here reaps orphans only about once a second: until then kill(pid, 0) still finds its zombie, so a zombie
 * counts as gone (it is dead; only its exit status waits to be collected).
 */
async function assertGone(namespaces: string[], pids: number[]): Promise<void> {
  const left = (await netnsList()).filter((name) => namespaces.includes(name));
  if (left.length > 0) throw new Error(`namespaces left: ${left.join(' ')}`);
  const living = () => pids.filter((pid) => exists(pid) && state(pid) !== 'Z');
  await waitFor('every process of the bed to be gone', () => living().length === 0, {
    timeoutMs: 2_000,
    describe: () =>
      living()
        .map((pid) => `${pid} state ${state(pid)}`)
        .join(', '),
  });
}

async function ipIn(bed: TestBed, host: HostName, ...args: string[]): Promise<void> {
  await run('ip', ['-n', bed.ns(host), ...args]);
}

test.serial('hosts reach each other through the bridge; a cut link drops traffic both ways and heals', async (t) => {
  requireRoot(t);
  const bed = await TestBed.create({ nodes: 3 });
  t.teardown(() => bed.destroy());
  t.log(`bed ${bed.id} created in ${bed.createdInMs.toFixed(1)} ms: ${bed.namespaces.join(' ')}`);

  t.deepEqual(bed.hosts, ['stg1', 'stg2', 'stg3', 'arbiter', 'client']);
  t.regex(bed.ns('stg1'), /^sb[0-9a-f]{4}-stg1$/);
  t.deepEqual((await netnsList()).filter((name) => name.startsWith(`${bed.id}-`)).sort(), [...bed.namespaces].sort());
  t.is(bed.address('arbiter'), '198.51.100.5');
  t.throws(() => bed.ns('nowhere' as HostName), { message: /no host nowhere/ });
  const sysctl = await bed.run('stg1', 'sysctl', [
    '-n',
    'net.ipv4.ip_nonlocal_bind',
    'net.ipv4.conf.all.arp_notify',
    'net.ipv4.conf.all.arp_accept',
    'net.ipv4.ip_forward',
  ]);
  t.deepEqual(sysctl.stdout.trim().split('\n'), ['1', '1', '1', '0']);

  const everyNode = () => Promise.all(bed.nodes.map((node) => bed.ping('client', node)));
  t.deepEqual(await everyNode(), [true, true, true]);
  t.true(await bed.ping('stg1', 'arbiter'));

  await bed.linkDown('stg2');
  const [toStg2, fromStg2, toStg1] = await Promise.all([
    bed.ping('client', 'stg2'),
    bed.ping('stg2', 'client'),
    bed.ping('client', 'stg1'),
  ]);
  t.deepEqual({ toStg2, fromStg2, toStg1 }, { toStg2: false, fromStg2: false, toStg1: true });
  // Cut at the bridge: stg2's own link is untouched (up, with carrier).
  const link = await bed.run('stg2', 'ip', ['-o', 'link', 'show', 'eth0']);
  t.regex(link.stdout, /<[^>]*\bLOWER_UP\b[^>]*>/);
  t.notRegex(link.stdout, /NO-CARRIER/);

  await bed.linkUp('stg2');
  t.deepEqual(await everyNode(), [true, true, true]);
  t.true(await bed.ping('stg2', 'client'));
  const [cut] = bed.isolations('stg2');
  t.truthy(cut?.toMs);
  t.true(cut!.toMs! > cut!.fromMs);
});

test.serial(
  'a lock-member redis-server on the arbiter answers a node, and keeps its data over a restart',
  async (t) => {
    requireRoot(t);
    const bed = await TestBed.create({ nodes: 3 });
    t.teardown(() => bed.destroy());
    const redis = await bed.startRedis('arbiter');
    t.is(redis.port, 6379);

    const ping = () => bed.run('stg1', 'redis-cli', ['-h', '198.51.100.5', '-p', '6379', 'ping'], { timeoutMs: 3_000 });
    t.is((await ping()).stdout.trim(), 'PONG');
    t.is((await bed.run('stg2', 'redis-cli', ['-h', '198.51.100.5', 'set', 'k', 'v'])).stdout.trim(), 'OK');

    // The test process (root namespace) reaches it through its unix socket only.
    const local = new Redis({ path: redis.socket, maxRetriesPerRequest: 0 });
    try {
      t.deepEqual(await local.config('GET', 'appendfsync'), ['appendfsync', 'always']);
      t.deepEqual(await local.config('GET', 'bind'), ['bind', '198.51.100.5']);
    } finally {
      local.disconnect();
    }

    const firstPid = redis.pid;
    await redis.stop('SIGKILL');
    t.false(exists(firstPid));
    t.not((await ping()).code, 0);
    await redis.restart();
    t.not(redis.pid, firstPid);
    t.is((await bed.run('stg3', 'redis-cli', ['-h', '198.51.100.5', 'get', 'k'])).stdout.trim(), 'v');
  },
);

test.serial('the timeline sees the kernel remove an address when its lifetime runs out', async (t) => {
  requireRoot(t);
  const bed = await TestBed.create({ nodes: 3 });
  t.teardown(() => bed.destroy());
  const recorder = await AddressRecorder.start(bed, 'stg1');
  t.true(recorder.eventsFor(bed.address('stg1')).some((event) => event.initial && event.device === 'eth0'));

  const before = wallNow();
  await ipIn(bed, 'stg1', 'addr', 'add', `${BED_VIP}/24`, 'dev', 'eth0', 'valid_lft', '1', 'preferred_lft', '1');
  const added = await recorder.waitFor(BED_VIP, 'add');
  t.true(recorder.holds(BED_VIP));
  const deleted = await recorder.waitFor(BED_VIP, 'delete', { timeoutMs: 5_000 });
  const gap = deleted.wallMs - added.wallMs;
  t.log(
    `add seen ${(added.wallMs - before).toFixed(2)} ms after the command started; deleted ${gap.toFixed(1)} ms after`,
  );
  t.true(added.wallMs - before < 200, `the add event came ${added.wallMs - before} ms late`);
  t.is(added.validLft, '1sec');
  // Never before the lifetime. The upper bound is looser than the 1.0-1.25 s of the kernel's code: since Linux
  // 6.13 the per-namespace lifetime check runs from a DEFERRABLE timer, which waits for the next wakeup of an idle
  // CPU. Measured here: 1.00-1.03 s with busy CPUs, 1.00-1.6 s in beds (once 2.9 s on an idle machine).
  t.true(gap >= 1000 && gap <= 3000, `the kernel removed it ${gap} ms after the add`);
  if (gap > 1500) t.log(`lifetime expiry ${gap.toFixed(0)} ms after the add: deferred by an idle CPU`);
  t.false(recorder.holds(BED_VIP));

  const timeline = mergeTimelines([recorder], BED_VIP);
  t.is(timeline.intervals.length, 1);
  t.deepEqual(timeline.overlaps(), []);
  await recorder.stop();
});

test.serial(
  'merged timelines: a handover is no overlap, two holders at once are, a cut holder counts once back',
  async (t) => {
    requireRoot(t);
    const bed = await TestBed.create({ nodes: 3 });
    t.teardown(() => bed.destroy());
    const recorders = await Promise.all(bed.nodes.map((node) => AddressRecorder.start(bed, node)));
    const [stg1, stg2, stg3] = recorders as [AddressRecorder, AddressRecorder, AddressRecorder];
    const vip = `${BED_VIP}/24`;

    // Handover: stg1 holds it (with one lifetime refresh), removes it, then stg2 takes it.
    await ipIn(bed, 'stg1', 'addr', 'add', vip, 'dev', 'eth0', 'valid_lft', '30', 'preferred_lft', '30');
    await stg1.waitFor(BED_VIP, 'add');
    const refreshedAt = wallNow();
    await ipIn(bed, 'stg1', 'addr', 'change', vip, 'dev', 'eth0', 'valid_lft', '40', 'preferred_lft', '40');
    await stg1.waitFor(BED_VIP, 'add', { afterMs: refreshedAt });
    await ipIn(bed, 'stg1', 'addr', 'del', vip, 'dev', 'eth0');
    await stg1.waitFor(BED_VIP, 'delete');
    await ipIn(bed, 'stg2', 'addr', 'add', vip, 'dev', 'eth0');
    await stg2.waitFor(BED_VIP, 'add');
    await ipIn(bed, 'stg2', 'addr', 'del', vip, 'dev', 'eth0');
    await stg2.waitFor(BED_VIP, 'delete');
    const handover = mergeTimelines(recorders, BED_VIP);
    t.deepEqual(
      handover.intervals.map((interval) => [interval.host, interval.refreshes]),
      [
        ['stg1', 1],
        ['stg2', 0],
      ],
    );
    t.deepEqual(handover.overlaps(), [], handover.describe());

    // Two holders at once.
    const conflictFrom = wallNow();
    await Promise.all([
      ipIn(bed, 'stg1', 'addr', 'add', vip, 'dev', 'eth0'),
      ipIn(bed, 'stg3', 'addr', 'add', vip, 'dev', 'eth0'),
    ]);
    await Promise.all([stg1.waitFor(BED_VIP, 'add', { afterMs: conflictFrom }), stg3.waitFor(BED_VIP, 'add')]);
    await Promise.all([
      ipIn(bed, 'stg1', 'addr', 'del', vip, 'dev', 'eth0'),
      ipIn(bed, 'stg3', 'addr', 'del', vip, 'dev', 'eth0'),
    ]);
    await Promise.all([stg1.waitFor(BED_VIP, 'delete', { afterMs: conflictFrom }), stg3.waitFor(BED_VIP, 'delete')]);
    const conflict = mergeTimelines(recorders, BED_VIP);
    const overlaps = conflict.overlaps();
    t.is(overlaps.length, 1, conflict.describe());
    t.deepEqual(overlaps[0]!.hosts, ['stg1', 'stg3']);
    // Both held it from the later add to the earlier delete: a real, short interval.
    t.true(overlaps[0]!.durationMs > 0 && overlaps[0]!.durationMs < 1_000, `${overlaps[0]!.durationMs} ms`);
    t.is(conflict.maxOverlapMs(), overlaps[0]!.durationMs);
    t.log(`two holders for ${overlaps[0]!.durationMs.toFixed(1)} ms`);

    // stg2 cut off holds it while stg1 holds it too: no overlap while cut; one once its link is back.
    const cutFrom = wallNow();
    await bed.linkDown('stg2');
    await ipIn(bed, 'stg2', 'addr', 'add', vip, 'dev', 'eth0');
    await ipIn(bed, 'stg1', 'addr', 'add', vip, 'dev', 'eth0');
    await stg1.waitFor(BED_VIP, 'add', { afterMs: cutFrom });
    const withoutHeal = mergeTimelines(recorders, BED_VIP, { isolations: bed.isolations() });
    t.deepEqual(
      withoutHeal.overlaps().filter((overlap) => overlap.fromMs >= cutFrom),
      [],
      withoutHeal.describe(),
    );
    await bed.linkUp('stg2');
    const healed = mergeTimelines(recorders, BED_VIP, { isolations: bed.isolations() });
    const afterHeal = healed.overlaps().filter((overlap) => overlap.fromMs >= cutFrom);
    t.is(afterHeal.length, 1, healed.describe());
    t.deepEqual(afterHeal[0]!.hosts, ['stg1', 'stg2']);
    t.is(afterHeal[0]!.fromMs, bed.isolations('stg2')[0]!.toMs!);
    // The last instant the timeline covers: both hold it (an interval ends before its closing time).
    t.deepEqual(healed.holdersAt(healed.untilMs - 0.001), ['stg1', 'stg2']);
    await Promise.all(recorders.map((recorder) => recorder.stop()));
  },
);

test.serial(
  'freeze stops every process of a host and cuts its link; thaw brings the link back and resumes',
  async (t) => {
    requireRoot(t);
    const bed = await TestBed.create({ nodes: 3 });
    t.teardown(() => bed.destroy());
    const recorder = await AddressRecorder.start(bed, 'stg3');
    const ticker = bed.spawn('stg3', 'sh', ['-c', 'while :; do echo tick; sleep 0.02; done'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let ticks = 0;
    ticker.child.stdout!.on('data', (chunk: Buffer) => (ticks += chunk.toString().split('tick').length - 1));
    // A process the bed does not track, in a session of its own (as an agent's resource would be).
    const started = await bed.run('stg3', 'sh', ['-c', 'setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!']);
    const untracked = Number(started.stdout.trim());
    await waitFor('the ticker to tick', () => ticks > 2);

    await bed.freeze('stg3');
    t.is(state(ticker.pid), 'T');
    t.is(state(untracked), 'T');
    t.not(state(recorder.monitor.pid), 'T', 'the address monitor (an observer) is not frozen');
    const frozenTicks = ticks;
    t.false(await bed.ping('client', 'stg3')); // takes 1 s: the ticker would have ticked ~50 times
    t.is(ticks, frozenTicks);
    t.false(bed.isLinkUp('stg3'));

    await bed.thaw('stg3');
    await waitFor('the ticker to tick again', () => ticks > frozenTicks);
    t.not(state(ticker.pid), 'T');
    t.not(state(untracked), 'T');
    t.true(await bed.ping('client', 'stg3'));
    t.deepEqual(
      bed.events.map((event) => event.kind),
      ['link-down', 'freeze', 'link-up', 'thaw'],
    );
  },
);

// A failed test's t.teardown runs destroy() like this one; an owner that dies without it is covered below.
test.serial(
  'destroy removes every namespace and process, frozen or untracked ones too; it is idempotent',
  async (t) => {
    requireRoot(t);

    const bed = await TestBed.create({ nodes: 3 });
    t.teardown(() => bed.destroy());
    const tracked = [bed.spawn('stg1', 'sleep', ['300']), bed.spawn('arbiter', 'sh', ['-c', 'sleep 300; true'])];
    const frozen = bed.spawn('stg2', 'sleep', ['300']);
    const started = await bed.run('client', 'sh', ['-c', 'setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!']);
    const untracked = Number(started.stdout.trim());
    await bed.freeze('stg2'); // a frozen host is destroyed as well
    await bed.startRedis('arbiter');
    const recorder = await AddressRecorder.start(bed, 'stg3');
    const pids = [...tracked, frozen, recorder.monitor].map((p) => p.pid).concat(untracked);
    t.true(pids.every(exists));

    await bed.destroy();
    await assertGone(bed.namespaces, pids);
    await bed.destroy(); // again: nothing to do
    t.throws(() => bed.spawn('stg1', 'true'), { message: /destroyed/ });
  },
);

for (const [mode, signal] of [
  ['exit', undefined],
  ['wait', 'SIGTERM'],
] as const) {
  test.serial(`the last resort cleans up when the owner ends by ${signal ?? 'process.exit'}`, async (t) => {
    requireRoot(t);
    const owner = await startOwner(mode);
    t.teardown(() => killQuietly(owner.pid));
    if (signal) process.kill(owner.pid, signal);
    const exit = await owner.exited;
    t.is(exit.signal, signal ?? null);
    await assertGone(owner.record.namespaces, owner.record.pids);
  });
}

test.serial('a bed whose owner was SIGKILLed is swept by the next TestBed.create', async (t) => {
  requireRoot(t);
  const owner = await startOwner('wait');
  t.teardown(() => killQuietly(owner.pid));
  process.kill(owner.pid, 'SIGKILL');
  await owner.exited;
  const left = (await netnsList()).filter((name) => owner.record.namespaces.includes(name));
  t.deepEqual(left.sort(), [...owner.record.namespaces].sort(), 'nothing could clean up after a SIGKILL');

  const bed = await TestBed.create({ nodes: 2, arbiter: false, client: false }); // sweeps
  t.teardown(() => bed.destroy());
  await assertGone(owner.record.namespaces, owner.record.pids);
  t.deepEqual(TestBed.sweepStale(), []);
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

async function startOwner(mode: 'exit' | 'wait') {
  const child = spawn(process.execPath, [OWNER, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
    });
    void exited.then(() => setTimeout(() => reject(new Error(`bed owner exited early: ${stderr}`)), 100));
  });
  const record = JSON.parse(line) as { id: string; namespaces: string[]; pids: number[] };
  return { pid: child.pid!, exited, record };
}
