import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_TIMINGS } from '../src/config/defaults.js';
import { checkJournalMutex } from '../src/cluster/journal.js';
import { CLUSTERCTL_MAIN, TestCluster, wallNow } from '../test/helpers/cluster.js';
import { dummyJournal, dummyOverlaps, resourceDefinition, type DummyAction } from '../test/helpers/resources.js';
import { waitFor } from '../test/helpers/wait.js';
import type { BenchResult } from './run.js';
import { summarize } from './stats.js';

const NODES = ['stg1', 'stg2', 'stg3'];
/** Bounds of the waits on conditions: generous, a benchmark run that needs them has failed anyway. */
const SETTLE_TIMEOUT_MS = 30_000;
const FAILOVER_TIMEOUT_MS = 20_000;
const CLUSTERCTL_TIMEOUT_MS = 60_000;

/** Set to a folder to keep the agents' logs and journals of the run there (the cluster folder is removed). */
const KEEP_LOGS = process.env.FAILOVER_LOCAL_KEEP_LOGS;

const CRASH_STEPS = ['kill -> new lead', 'new lead -> dummy start'];
const SWITCHOVER_STEPS = [
  'spawn -> clusterctl announces',
  'announces -> old leader stops dummy',
  'old stop -> new lead',
  'new lead -> dummy start',
];

interface Sample {
  /** From the fault to the dummy's successful start on another node, under the new term. */
  total: number;
  /** The same time in steps (see CRASH_STEPS and SWITCHOVER_STEPS); NaN where a step's mark was not found. */
  steps: number[];
  /** Crash only: the node killed and when. */
  killed?: { node: string; wallMs: number };
}

/**
 * Failover of a leader resource on loopback with three lock members and three agents at default timings, with the
 * test helpers' resources (a leader-only OCF dummy journaling its actions, an every-node process): from SIGKILL of
 * the leader agent (the lease must expire) and from `clusterctl switchover` (invoked as a new process, as an
 * operator would) to the dummy's successful start journaled by another node under the new term. Between runs the
 * cluster settles: the killed agent is restarted (it probes its stale dummy and stops it), three nodes are online,
 * the dummy is started on the leader only and the worker everywhere.
 */
export async function run(args: string[]): Promise<BenchResult> {
  const at = args.indexOf('--runs');
  const runs = (at >= 0 ? Number(args[at + 1]) : 20) || 20;
  const cluster = await TestCluster.start({ members: 3 });
  const crash: Sample[] = [];
  const switchover: Sample[] = [];
  let safety: string[];
  let staleStopped: number;
  try {
    cluster.writeDefinition(resourceDefinition(cluster));
    for (const id of NODES) cluster.startAgent(id);
    await cluster.waitForLeader(0, SETTLE_TIMEOUT_MS);
    for (let index = 0; index < runs; index += 1) {
      crash.push(await crashOnce(cluster));
      switchover.push(await switchoverOnce(cluster));
    }
    await settled(cluster);
    const kills = crash.map((sample) => sample.killed!);
    const actions = dummyJournal(cluster);
    // A killed agent leaves its dummy's state file behind (nothing runs: the dummy is a file); its restarted agent
    // probes and stops it. For the holders' check the dummy ends at the kill: a synthetic stop there.
    const cut = kills.map((kill) => ({ wallMs: kill.wallMs, node: kill.node, term: undefined, action: 'stop', rc: 0 }));
    safety = [
      ...dummyOverlaps([...actions, ...cut].sort((a, b) => a.wallMs - b.wallMs)),
      ...checkJournalMutex(cluster.journal()),
    ];
    staleStopped = kills.filter((kill, index) => {
      const next = kills[index + 1]?.wallMs ?? Infinity;
      return actions.some(
        (action) =>
          action.node === kill.node && action.action === 'stop' && action.wallMs > kill.wallMs && action.wallMs < next,
      );
    }).length;
  } finally {
    if (KEEP_LOGS) keepLogs(cluster.dir, KEEP_LOGS);
    await cluster.close();
  }
  const crashMs = summarize(crash.map((sample) => sample.total));
  const switchoverMs = summarize(switchover.map((sample) => sample.total));
  const line = (label: string, samples: number[]) => {
    const found = samples.filter(Number.isFinite);
    const s = summarize(found);
    const missing = samples.length - found.length;
    return `${label.padEnd(44)}p50 ${s.p50} ms, p95 ${s.p95} ms, max ${s.max} ms (min ${s.min})${missing ? `, ${missing} runs without the marks` : ''}`;
  };
  const each = (samples: Sample[]) => samples.map((sample) => Math.round(sample.total)).join(' ');
  return {
    lines: [
      `failover-local: ${runs} runs each, lease ttl ${DEFAULT_TIMINGS.leaseTtlMs} ms, renew every ${DEFAULT_TIMINGS.renewIntervalMs} ms, 3 lock members, 3 agents on loopback`,
      `  resources: OCF dummy (placement leader, monitor every 300 ms) and a process on every node`,
      `  measured: from the fault to the dummy's successful start journaled by another node under the new term`,
      `  (the dummy journals when its start action begins; the start itself takes a few milliseconds)`,
      line(
        '  SIGKILL of the leader agent:',
        crash.map((sample) => sample.total),
      ),
      ...CRASH_STEPS.map((step, index) =>
        line(
          `    ${step}:`,
          crash.map((sample) => sample.steps[index]!),
        ),
      ),
      line(
        '  clusterctl switchover:',
        switchover.map((sample) => sample.total),
      ),
      ...SWITCHOVER_STEPS.map((step, index) =>
        line(
          `    ${step}:`,
          switchover.map((sample) => sample.steps[index]!),
        ),
      ),
      `  (switchover counts from just before clusterctl is spawned: its Node start-up and connection are included)`,
      `  each crash, in order: ${each(crash)}`,
      `  each switchover, in order: ${each(switchover)}`,
      `  the restarted agent stopped its stale dummy after ${staleStopped}/${runs} kills`,
      safety.length === 0
        ? `  safety: the dummy never had two holders (a killed agent's ends at the kill), the leader journals hold as a mutex`
        : `  SAFETY VIOLATIONS: ${safety.join('; ')}`,
    ],
    figures: {
      bench: 'failover-local',
      crash_ms: crashMs,
      switchover_ms: switchoverMs,
      lease_ttl_ms: DEFAULT_TIMINGS.leaseTtlMs,
    },
  };
}

/** Copies the agents' logs and journals out of the cluster folder before it is removed. */
function keepLogs(dir: string, into: string): void {
  mkdirSync(into, { recursive: true });
  for (const name of readdirSync(dir)) {
    if (/\.(log|stderr|jsonl|journal|yaml)$/.test(name)) copyFileSync(join(dir, name), join(into, name));
  }
}

/** SIGKILL of the leader agent; restarts it and waits until the cluster settled again. */
async function crashOnce(cluster: TestCluster): Promise<Sample> {
  const old = await settled(cluster);
  const killedAt = wallNow();
  await cluster.agents.get(old.node)!.stop('SIGKILL');
  const started = await dummyStartedElsewhere(cluster, old, killedAt);
  const lead = cluster
    .journal()
    .find((entry) => entry.term === started.term && entry.node === started.node && entry.action === 'lead');
  cluster.startAgent(old.node);
  await settled(cluster, old.node);
  return {
    total: started.wallMs - killedAt,
    steps: steps([killedAt, lead?.wallMs, started.wallMs]),
    killed: { node: old.node, wallMs: killedAt },
  };
}

/** `clusterctl switchover` as a separate process; it must exit 0. */
async function switchoverOnce(cluster: TestCluster): Promise<Sample> {
  const old = await settled(cluster);
  const config = clusterctlConfig(cluster);
  const invokedAt = wallNow();
  const result = await spawnClusterctl(config, ['switchover'], 'switchover:');
  if (result.code !== 0) {
    throw new Error(
      `clusterctl switchover exited ${result.code ?? result.signal}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  const started = await dummyStartedElsewhere(cluster, old, invokedAt);
  const stop = dummyJournal(cluster).find(
    (action) => action.node === old.node && action.action === 'stop' && action.wallMs >= invokedAt,
  );
  const lead = cluster
    .journal()
    .find((entry) => entry.term === started.term && entry.node === started.node && entry.action === 'lead');
  return {
    total: started.wallMs - invokedAt,
    steps: steps([invokedAt, result.announcedAt, stop?.wallMs, lead?.wallMs, started.wallMs]),
  };
}

/** The times between consecutive marks. */
function steps(marks: (number | undefined)[]): number[] {
  return marks.slice(1).map((mark, index) => (mark ?? NaN) - (marks[index] ?? NaN));
}

/** The dummy's successful start on a node other than `old`'s, under a newer term, since `since`. */
async function dummyStartedElsewhere(
  cluster: TestCluster,
  old: { node: string; term: number },
  since: number,
): Promise<DummyAction & { term: number }> {
  return waitFor(
    `the dummy started on a node other than ${old.node} under a term above ${old.term}`,
    () =>
      dummyJournal(cluster).find(
        (action): action is DummyAction & { term: number } =>
          action.node !== old.node &&
          action.action === 'start' &&
          action.rc === 0 &&
          action.term !== undefined &&
          action.term > old.term &&
          action.wallMs >= since,
      ),
    { timeoutMs: FAILOVER_TIMEOUT_MS, everyMs: 10 },
  );
}

/**
 * Waits until the cluster is at rest: a leader, three nodes online, the dummy started on the leader and stopped
 * everywhere else, the worker started on every node. `restarted`: a node whose agent was just restarted, whose
 * heartbeat must come from the new process (it reports the stale dummy stopped after its probe).
 */
async function settled(cluster: TestCluster, restarted?: string): Promise<{ node: string; term: number }> {
  return waitFor(
    `the cluster settled${restarted ? ` with ${restarted} back` : ''}`,
    async () => {
      const status = await cluster.status();
      const leader = status.leader;
      if (!leader) return undefined;
      if (status.nodes.filter((node) => node.state === 'online').length !== NODES.length) return undefined;
      const dummy = status.resources.find((resource) => resource.id === 'dummy');
      const worker = status.resources.find((resource) => resource.id === 'worker');
      if (!dummy || !worker) return undefined;
      const dummyOk = NODES.every((id) => {
        const state = dummy.instances.find((instance) => instance.node === id)?.state;
        return id === leader.node ? state === 'started' : state === 'stopped';
      });
      const workerOk = NODES.every(
        (id) => worker.instances.find((instance) => instance.node === id)?.state === 'started',
      );
      return dummyOk && workerOk ? { node: leader.node, term: leader.term } : undefined;
    },
    { timeoutMs: SETTLE_TIMEOUT_MS, everyMs: 50 },
  );
}

/** clusterctl's configuration for this cluster (the same file TestCluster.clusterctl writes). */
function clusterctlConfig(cluster: TestCluster): string {
  const config = join(cluster.dir, 'clusterctl.yaml');
  if (!existsSync(config)) {
    const lockMembers = cluster.members.map((member) => ({ host: member.host, port: member.port }));
    writeFileSync(config, stringify({ cluster: cluster.cluster, lockMembers }));
  }
  return config;
}

/**
 * Runs clusterctl without blocking the event loop; bounded: killed (by its PID) when it overruns. `announcedAt`: when
 * its output first contained `announcement` (clusterctl says what will happen just before it issues the command).
 */
function spawnClusterctl(
  config: string,
  args: string[],
  announcement: string,
): Promise<{
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  announcedAt: number | undefined;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLUSTERCTL_MAIN, '--config', config, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let announcedAt: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (announcedAt === undefined && stdout.includes(announcement)) announcedAt = wallNow();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLUSTERCTL_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, announcedAt });
    });
  });
}
