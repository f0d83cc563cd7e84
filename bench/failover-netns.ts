import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { checkJournalMutex } from '../src/cluster/journal.js';
import { DEFAULT_TIMINGS, FAST_PROFILE_TIMINGS } from '../src/config/defaults.js';
import { CLUSTERCTL_MAIN } from '../test/helpers/cluster.js';
import { waitFor } from '../test/helpers/wait.js';
import { AddressRecorder, mergeTimelines, type AddressEvent } from '../test/system/address-timeline.js';
import { BedCluster } from '../test/system/bed-cluster.js';
import { BED_VIP, TestBed, wallNow, type NodeName, type RunResult } from '../test/system/bed.js';
import { macOf } from '../test/system/arp-capture.js';
import { NeighbourRecorder } from './failover-netns-arp.js';
import { Probe, RESPONDER_PORT, startResponder } from './failover-netns-probe.js';
import type { BenchResult } from './run.js';
import { summarize } from './stats.js';

/** Bounds of the waits on conditions: generous, a run that needs them has failed anyway. */
const SETTLE_TIMEOUT_MS = 30_000;
const FAILOVER_TIMEOUT_MS = 20_000;
const CLUSTERCTL_TIMEOUT_MS = 60_000;
const PROBE_EVERY_MS = 20;
const PROBE_TIMEOUT_MS = 100;
/** Set to 1 for one line per run (and the bed's folder; with STG_KEEP_TEST_DIRS=1 the bed keeps its logs there). */
const TRACE = process.env['FAILOVER_NETNS_TRACE'] === '1';

type Kind = 'kill' | 'kill_group' | 'link_down' | 'node_down' | 'switchover';

const KINDS: { kind: Kind; label: string; fault: string }[] = [
  {
    kind: 'kill',
    label: 'agent SIGKILL (agent alone)',
    fault:
      'SIGKILL to the leader agent (its PID from status); its guard removes the VIP, releases the lease, restarts it',
  },
  {
    kind: 'kill_group',
    label: 'agent+guard SIGKILL',
    fault: "SIGKILL to the guard's process group (guard and agent); the lease must expire; the guard is started again",
  },
  {
    kind: 'link_down',
    label: 'leader link down',
    fault: "the leader's bridge port leaves the bridge (from when `ip` returned); put back after the failover",
  },
  {
    kind: 'node_down',
    label: 'leader node down (freeze)',
    fault: "SIGSTOP to every process of the leader's namespace, then its link cut (from the cut); thawed after",
  },
  {
    kind: 'switchover',
    label: 'clusterctl switchover',
    fault:
      "`clusterctl switchover` run in the leader's namespace (from just before it is spawned: its start-up counts)",
  },
];

interface Leader {
  node: NodeName;
  term: number;
  pid: number;
}

interface Sample {
  kind: Kind;
  round: number;
  from: NodeName;
  to: NodeName;
  faultMs: number;
  /** From the fault to the first answer from the other node. */
  outageMs: number;
  /** From the fault to the VIP's removal on the old leader / its add on the other node (netlink events). */
  droppedMs: number;
  addedMs: number;
  /** From the fault to the other node's journaled lead, and from that to its journaled start of the VIP. */
  leadMs: number;
  leadToStartMs: number;
  /** From the VIP's add on the other node to the client's first answer from it. */
  clientLagMs: number;
  /** From the VIP's add on the other node to the client's ARP entry for the VIP naming that node's MAC. */
  arpMs: number;
  /** From that ARP update to the first answer. */
  arpToAnswerMs: number;
  /** From the last answer of the old leader to the first of the other node: what the client saw. */
  gapMs: number;
  /** Why the probe's attempts failed between the fault and the first answer from the other node. */
  failures: Map<string, number>;
  /** Answers from the old leader that ended after the VIP was added on the other node (stale ARP, overlap). */
  oldAfterAdd: number;
  /** From the first answer from the other node until the cluster settled again (heal included). */
  healMs: number;
  /** The whole run: from the settled check before the fault to the one after. */
  totalMs: number;
  /** The leader after settling, when it is not the other node (leadership moved back). */
  movedBack: NodeName | undefined;
}

/** The parts of an outage and what follows, as printed under each fault. */
const STEPS: [string, (sample: Sample) => number][] = [
  ['      fault -> VIP removed on the old leader', (s) => s.droppedMs],
  ["      fault -> the other node's lead (journal)", (s) => s.leadMs],
  ['      lead -> start:vip begins (journal)', (s) => s.leadToStartMs],
  ['      fault -> VIP added on the other node', (s) => s.addedMs],
  ['      VIP added -> first answer (client side)', (s) => s.clientLagMs],
  ["        VIP added -> client's ARP entry on the new MAC", (s) => s.arpMs],
  ['        ARP entry updated -> first answer', (s) => s.arpToAnswerMs],
  ['      client-visible gap (last old -> first new answer)', (s) => s.gapMs],
  ['      heal and settle after the first new answer', (s) => s.healMs],
];

interface Failure {
  kind: Kind;
  round: number;
  error: string;
}

interface Context {
  bed: TestBed;
  cluster: BedCluster;
  recorders: AddressRecorder[];
  probe: Probe;
  neighbours: NeighbourRecorder;
  macs: Map<NodeName, string>;
  /** What the last settled check saw missing (for a timeout's message). */
  lastSeen: string;
}

/**
 * Failover of the VIP as a client sees it, on the network-namespace bed (issue 4, "Benchmark"): two nodes and an
 * arbiter (BedCluster: lock members on all three, stg-guard and agent on the nodes, the VIP the leader resource),
 * a tiny TCP responder on VIP:7000 on each node naming its node, and a client probe connecting to VIP:7000 every
 * 20 ms. Each round injects every fault kind once into the current leader; the outage runs from the fault to the
 * first answer naming the other node. After each fault the bed is healed and the cluster must settle (a leader
 * with the VIP, both nodes online and eligible, the VIP on the leader only, the client answered by the leader)
 * before the next one. The address monitors of both nodes give the largest VIP overlap over the whole bench.
 */
export async function run(args: string[]): Promise<BenchResult> {
  if (process.getuid?.() !== 0) throw new Error('failover-netns needs root (it creates network namespaces)');
  const at = args.indexOf('--runs');
  const runs = (at >= 0 ? Number(args[at + 1]) : 20) || 20;
  const fast = args.includes('--profile') && args[args.indexOf('--profile') + 1] === 'fast';
  const timings = fast ? FAST_PROFILE_TIMINGS : DEFAULT_TIMINGS;
  const benchStarted = performance.now();
  const samples: Sample[] = [];
  const failures: Failure[] = [];
  const roundMs: number[] = [];
  let aborted: string | undefined;
  let upMs: number;
  let overlapLines: string[];
  let maxOverlapMs: number;
  let mutex: string[];
  let attempts: number;
  let unparsed = 0;
  const bed = await TestBed.create({ nodes: 2 });
  try {
    if (TRACE) process.stderr.write(`failover-netns: bed ${bed.id} in ${bed.dir}\n`);
    const recorders = await Promise.all(bed.nodes.map((node) => AddressRecorder.start(bed, node)));
    const neighbours = NeighbourRecorder.start(bed, 'client');
    const macs = new Map(await Promise.all(bed.nodes.map(async (node) => [node, await macOf(bed, node)] as const)));
    await Promise.all(bed.nodes.map((node) => startResponder(bed, node)));
    const cluster = await BedCluster.start(bed, fast ? { timings: { ...FAST_PROFILE_TIMINGS } } : {});
    const probe = Probe.start(bed, { everyMs: PROBE_EVERY_MS, timeoutMs: PROBE_TIMEOUT_MS });
    const context: Context = { bed, cluster, recorders, probe, neighbours, macs, lastSeen: '' };
    await settled(context);
    upMs = performance.now() - benchStarted;

    rounds: for (let round = 1; round <= runs; round++) {
      const roundStarted = performance.now();
      for (const { kind } of KINDS) {
        try {
          const sample = await once(context, kind, round);
          samples.push(sample);
          if (TRACE) process.stderr.write(`${trace(sample)}\n`);
        } catch (error) {
          failures.push({ kind, round, error: message(error) });
          if (TRACE) process.stderr.write(`round ${round} ${kind} FAILED: ${message(error)}\n`);
          try {
            await recover(context);
          } catch (again) {
            aborted = `round ${round}, after the failed ${kind} run: the bed could not be healed: ${message(again)}`;
            break rounds;
          }
        }
      }
      roundMs.push(performance.now() - roundStarted);
    }

    for (const recorder of recorders) unparsed += recorder.unparsed.length;
    const timeline = mergeTimelines(recorders, BED_VIP, { isolations: bed.isolations() });
    const overlaps = timeline.overlaps();
    maxOverlapMs = timeline.maxOverlapMs();
    overlapLines = overlaps.map((overlap) => {
      const during = [...samples].reverse().find((sample) => sample.faultMs <= overlap.fromMs + 1);
      return `    ${overlap.hosts.join('+')} for ${overlap.durationMs.toFixed(1)} ms${during ? `, in round ${during.round}'s ${during.kind} run, ${(overlap.fromMs - during.faultMs).toFixed(0)} ms after its fault` : ''}`;
    });
    mutex = checkJournalMutex(cluster.journal());
    attempts = probe.attempts.length;
  } finally {
    await bed.destroy();
  }

  const totalS = (performance.now() - benchStarted) / 1000;
  const lines: string[] = [
    `failover-netns: ${runs} runs of each fault; 2 nodes + arbiter in network namespaces (lock members on all three, ` +
      `stg-guard + agent per node), the VIP ${BED_VIP}/24 as the leader resource`,
    `  timings (${fast ? 'fast profile: pauses up to 100 ms tolerated' : 'defaults'}): lease ttl ${timings.leaseTtlMs} ms, ` +
      `pause allowance ${timings.pauseAllowanceMs} ms, renew every ${timings.renewIntervalMs} ms, ` +
      `rank delay ${timings.rankDelayMs} ms, kernel VIP lifetime ${timings.kernelLifetimeS} s`,
    `  client: from its own namespace, a TCP connection to VIP:${RESPONDER_PORT} every ${PROBE_EVERY_MS} ms ` +
      `(attempts overlap; connect timeout ${PROBE_TIMEOUT_MS} ms); each node's responder (bound to the VIP with ` +
      `ip_nonlocal_bind) answers its node's name`,
    `  outage: from the fault to the first answer naming the other node (an attempt's end; the ${PROBE_EVERY_MS} ms ` +
      `period adds up to ${PROBE_EVERY_MS} ms); each run is followed by a heal and a settle (leader with the VIP, ` +
      `both nodes online and eligible, the VIP on the leader only, the client answered by the leader)`,
    `  client side: its SYNs go to the MAC of its ARP entry for the VIP until the new holder's gratuitous ARP ` +
      `updates it (seen by ip monitor neigh in the client namespace); steps marked (journal) are the agents' journals`,
  ];
  for (const { kind, label, fault } of KINDS) {
    const mine = samples.filter((sample) => sample.kind === kind);
    const failed = failures.filter((failure) => failure.kind === kind);
    lines.push(`  ${label}: ${fault}`);
    lines.push(
      stat(
        '    outage',
        mine.map((s) => s.outageMs),
        failed.length ? `; ${failed.length} of ${mine.length + failed.length} runs FAILED (below)` : '',
      ),
    );
    for (const [label, value] of STEPS) lines.push(stat(label, mine.map(value)));
    const reasons = new Map<string, number>();
    for (const sample of mine)
      for (const [reason, count] of sample.failures) reasons.set(reason, (reasons.get(reason) ?? 0) + count);
    lines.push(
      `      failed attempts during the outages: ${
        [...reasons.entries()].map(([reason, count]) => `${reason} ${count}`).join(', ') || 'none'
      }`,
    );
    const stale = mine.reduce((sum, sample) => sum + sample.oldAfterAdd, 0);
    if (stale > 0) lines.push(`      answers from the OLD leader after the VIP was added on the other node: ${stale}`);
    const back = mine.filter((sample) => sample.movedBack);
    if (back.length > 0)
      lines.push(`      leadership went back to the old leader after the heal in ${back.length} runs`);
    lines.push(`      each outage, in order: ${mine.map((sample) => Math.round(sample.outageMs)).join(' ') || '-'}`);
    for (const failure of failed) lines.push(`      FAILED round ${failure.round}: ${failure.error}`);
  }
  lines.push(
    maxOverlapMs === 0
      ? `  VIP overlap: none (0 ms) on the merged timeline of both nodes' address monitors (a cut node counts again from its link's repair)`
      : `  VIP OVERLAP: largest ${maxOverlapMs.toFixed(1)} ms on the merged timeline of both nodes' address monitors:`,
    ...overlapLines,
    mutex.length === 0 ? '  journal: leader terms held as a mutex' : `  JOURNAL MUTEX VIOLATIONS: ${mutex.join('; ')}`,
    `  probe: ${attempts} attempts in all${unparsed ? `; ${unparsed} unparsed address-monitor lines` : ''}`,
    `  time: bed, cluster and probe up and settled in ${(upMs / 1000).toFixed(1)} s; per round (${KINDS.length} ` +
      `faults, each with its heal and settle) ${roundMs.map((ms) => (ms / 1000).toFixed(1)).join(' ') || '-'} s; ` +
      `the whole bench ${totalS.toFixed(1)} s`,
  );
  const perKind = KINDS.map(({ kind }) => {
    const totals = samples.filter((sample) => sample.kind === kind).map((sample) => sample.totalMs / 1000);
    return `${kind} ${totals.length ? (totals.reduce((a, b) => a + b, 0) / totals.length).toFixed(1) : '-'} s`;
  });
  lines.push(`  mean time of one run (settle check, fault, failover, heal, settle): ${perKind.join(', ')}`);
  if (aborted) lines.push(`  ABORTED: ${aborted}`);

  const figure = (kind: Kind) => summarize(samples.filter((sample) => sample.kind === kind).map((s) => s.outageMs));
  return {
    lines,
    figures: {
      bench: 'failover-netns',
      profile: fast ? 'fast' : 'default',
      kill_ms: figure('kill'),
      kill_group_ms: figure('kill_group'),
      link_down_ms: figure('link_down'),
      node_down_ms: figure('node_down'),
      switchover_ms: figure('switchover'),
      vip_overlap_ms: Math.round(maxOverlapMs * 10) / 10,
    },
  };
}

/** One fault into the settled cluster's leader, its failover, heal and settle. */
async function once(context: Context, kind: Kind, round: number): Promise<Sample> {
  const { bed, cluster, probe, recorders, neighbours, macs } = context;
  const runStarted = performance.now();
  const before = await settled(context);
  const from = before.node;
  const to = bed.nodes.find((node) => node !== from)!;
  let faultMs: number;
  let switchover: Promise<RunResult> | undefined;
  const guard = cluster.guards.get(from)!;
  switch (kind) {
    case 'kill':
      assertAgent(bed, from, before.pid);
      faultMs = wallNow();
      bed.signal(before.pid, 'SIGKILL');
      break;
    case 'kill_group':
      if (!guard.running) throw new Error(`the guard of ${from} is not running`);
      faultMs = wallNow();
      bed.signal(guard, 'SIGKILL', { group: true });
      break;
    case 'link_down':
      await bed.linkDown(from);
      faultMs = lastEvent(bed, from, 'link-down').doneMs;
      break;
    case 'node_down':
      await bed.freeze(from);
      faultMs = lastEvent(bed, from, 'link-down').startedMs;
      break;
    case 'switchover':
      faultMs = wallNow();
      switchover = bed.run(
        from,
        process.execPath,
        [CLUSTERCTL_MAIN, '--config', cluster.nodeFile(from), 'switchover'],
        {
          timeoutMs: CLUSTERCTL_TIMEOUT_MS,
        },
      );
      break;
  }

  let answer;
  try {
    answer = await waitFor(
      `an answer from ${to} after the ${kind} of ${from}`,
      () => {
        probe.assertRunning();
        return probe.firstAnswer(to, faultMs);
      },
      {
        timeoutMs: FAILOVER_TIMEOUT_MS,
        everyMs: 5,
        describe: () => lastAttempts(probe),
      },
    );
    if (switchover) {
      const result = await switchover;
      if (result.code !== 0)
        throw new Error(
          `clusterctl switchover exited ${result.code ?? result.signal}: ${result.stderr.trim() || result.stdout.trim()}`,
        );
    }
  } finally {
    await heal(context, kind, from);
  }
  const firstAnswerAt = performance.now();
  const after = await settled(context);

  const added = firstEvent(recorders, to, 'add', faultMs);
  const dropped = firstEvent(recorders, from, 'delete', faultMs);
  const journal = cluster.journal();
  const lead = journal.find((entry) => entry.node === to && entry.action === 'lead' && entry.wallMs >= faultMs);
  const start = lead
    ? journal.find((entry) => entry.node === to && entry.term === lead.term && entry.action === 'start:vip')
    : undefined;
  const arp = neighbours.firstResolvedTo(BED_VIP, macs.get(to)!, added?.wallMs ?? faultMs);
  const failures = new Map<string, number>();
  for (const attempt of probe.between(faultMs, answer.wallMs))
    if (!attempt.ok) failures.set(attempt.what, (failures.get(attempt.what) ?? 0) + 1);
  const lastOld = probe.lastAnswerBefore(from, answer.wallMs);
  const oldAfterAdd = added
    ? probe.between(added.wallMs, answer.wallMs).filter((attempt) => attempt.ok && attempt.what === from).length
    : 0;
  return {
    kind,
    round,
    from,
    to,
    faultMs,
    outageMs: answer.wallMs - faultMs,
    droppedMs: dropped ? dropped.wallMs - faultMs : NaN,
    addedMs: added ? added.wallMs - faultMs : NaN,
    leadMs: lead ? lead.wallMs - faultMs : NaN,
    leadToStartMs: lead && start ? start.wallMs - lead.wallMs : NaN,
    clientLagMs: added ? answer.wallMs - added.wallMs : NaN,
    arpMs: added && arp ? arp.wallMs - added.wallMs : NaN,
    arpToAnswerMs: arp ? answer.wallMs - arp.wallMs : NaN,
    gapMs: lastOld ? answer.wallMs - lastOld.wallMs : NaN,
    failures,
    oldAfterAdd,
    healMs: performance.now() - firstAnswerAt,
    totalMs: performance.now() - runStarted,
    movedBack: after.node === to ? undefined : after.node,
  };
}

/** Undoes a fault: link back, node thawed, the killed guard started again (the agent alone: its guard restarts it). */
async function heal(context: Context, kind: Kind, node: NodeName): Promise<void> {
  const { bed } = context;
  switch (kind) {
    case 'link_down':
      await bed.linkUp(node);
      break;
    case 'node_down':
      await bed.thaw(node);
      break;
    case 'kill_group':
      await restartGuard(context, node);
      break;
    case 'kill':
    case 'switchover':
      break;
  }
}

/** After a failed run: every link up, every node thawed, every dead guard started again, then a settle. */
async function recover(context: Context): Promise<void> {
  const { bed, cluster } = context;
  for (const node of bed.nodes) {
    try {
      await bed.thaw(node);
    } catch {
      // not frozen
    }
    await bed.linkUp(node);
    if (!cluster.guards.get(node)?.running) await restartGuard(context, node);
  }
  await settled(context);
}

/** Waits until the killed guard and its agent are gone from the node, then starts a guard there again. */
async function restartGuard(context: Context, node: NodeName): Promise<void> {
  const { bed, cluster } = context;
  const old = cluster.guards.get(node);
  if (old) await old.exited;
  await waitFor(
    `no guard nor agent left on ${node}`,
    () => bed.pidsIn(bed.ns(node)).every((pid) => !/(guard|agent)\/main\.js/.test(cmdline(pid))),
    { timeoutMs: 5_000, everyMs: 10 },
  );
  cluster.startGuard(node);
}

/**
 * The cluster at rest: a leader whose agent runs (its PID checked in the namespace), the VIP started there and
 * held by that node only (address monitors), both nodes online, both guards running, the other node eligible and
 * following the leader, and the client answered by the leader (and by nobody else) since the check began.
 */
async function settled(context: Context): Promise<Leader> {
  const { bed, cluster, recorders, probe } = context;
  return waitFor(
    'the cluster settled',
    async () => {
      probe.assertRunning();
      const since = wallNow();
      const seen = (what: string) => {
        context.lastSeen = what;
        return undefined;
      };
      for (const node of bed.nodes)
        if (!cluster.guards.get(node)?.running) return seen(`the guard of ${node} is not running`);
      const status = await statusFromAny(context);
      const leader = status.leader;
      if (!leader) return seen('no leader');
      const node = leader.node as NodeName;
      const vip = status.resources.find((resource) => resource.id === 'vip');
      if (!vip?.instances.some((instance) => instance.node === node && instance.state === 'started'))
        return seen(`the VIP not started on the leader ${node}`);
      for (const view of status.nodes) {
        if (view.state !== 'online') return seen(`${view.id} ${view.state}`);
        if (view.refusal) return seen(`${view.id} refuses to lead: ${view.refusal}`);
        if (view.id !== node && !view.sentence?.includes(`following ${node}`))
          return seen(`${view.id} not following ${node}: ${view.sentence}`);
      }
      const pid = status.nodes.find((view) => view.id === node)?.pid;
      if (!pid || !isAgent(bed, node, pid)) return seen(`the leader's agent pid ${pid} is not an agent on ${node}`);
      for (const recorder of recorders)
        if (recorder.holds(BED_VIP) !== (recorder.host === node))
          return seen(`${recorder.host} ${recorder.holds(BED_VIP) ? 'holds' : 'does not hold'} the VIP`);
      const answers = probe.between(since, Infinity).filter((attempt) => attempt.ok);
      if (!answers.some((attempt) => attempt.what === node)) return seen(`no answer from ${node} yet`);
      if (answers.some((attempt) => attempt.what !== node)) return seen(`answers from another node than ${node}`);
      return { node, term: leader.term, pid };
    },
    { timeoutMs: SETTLE_TIMEOUT_MS, everyMs: 50, describe: () => `${context.lastSeen}; ${lastAttempts(probe)}` },
  );
}

/** `clusterctl status` from the first node whose link is up (the lock members are reachable only in the bed). */
async function statusFromAny(context: Context) {
  let lastError: unknown;
  for (const node of context.bed.nodes) {
    if (!context.bed.isLinkUp(node)) continue;
    try {
      return await context.cluster.status(node);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError ?? new Error('no node with its link up');
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Whether `pid` is an agent process inside the node's namespace (a PID from a heartbeat may be stale). */
function isAgent(bed: TestBed, node: NodeName, pid: number): boolean {
  return bed.pidsIn(bed.ns(node)).includes(pid) && /agent\/main\.js/.test(cmdline(pid));
}

function assertAgent(bed: TestBed, node: NodeName, pid: number): void {
  if (!isAgent(bed, node, pid)) throw new Error(`pid ${pid} is not the agent on ${node}: not killing it`);
}

function lastEvent(bed: TestBed, host: NodeName, kind: 'link-down') {
  const event = bed.events.findLast((entry) => entry.host === host && entry.kind === kind);
  if (!event) throw new Error(`no ${kind} event for ${host}`);
  return event;
}

function firstEvent(
  recorders: AddressRecorder[],
  host: NodeName,
  kind: 'add' | 'delete',
  afterMs: number,
): AddressEvent | undefined {
  return recorders
    .find((recorder) => recorder.host === host)
    ?.eventsFor(BED_VIP)
    .find((event) => event.kind === kind && event.wallMs >= afterMs);
}

/** One line per run for FAILOVER_NETNS_TRACE=1: times from the fault. */
function trace(sample: Sample): string {
  const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)}` : '-');
  return (
    `round ${sample.round} ${sample.kind} ${sample.from}->${sample.to}: dropped ${ms(sample.droppedMs)}, ` +
    `lead ${ms(sample.leadMs)}, start:vip +${ms(sample.leadToStartMs)}, ` +
    `added ${ms(sample.addedMs)}, arp +${ms(sample.arpMs)}, answer ${ms(sample.outageMs)} ms; gap ${ms(sample.gapMs)} ms; ` +
    `heal+settle ${ms(sample.healMs)} ms; failures ${[...sample.failures].map(([r, n]) => `${r} ${n}`).join(', ') || 'none'}` +
    (sample.movedBack ? `; leadership back on ${sample.movedBack}` : '')
  );
}

function lastAttempts(probe: Probe): string {
  const last = probe.attempts.slice(-8);
  return `probe's last attempts: ${last.map((attempt) => `${attempt.wallMs.toFixed(0)} ${attempt.ok ? 'ok' : 'fail'} ${attempt.what}`).join(', ') || 'none'}`;
}

function stat(label: string, values: number[], suffix = ''): string {
  const found = values.filter(Number.isFinite);
  const missing = values.length - found.length;
  if (found.length === 0) return `${label}: -${suffix}`;
  const s = summarize(found);
  return `${`${label}:`.padEnd(60)}p50 ${s.p50} ms, p95 ${s.p95} ms, max ${s.max} ms (min ${s.min})${missing ? `, ${missing} runs without it` : ''}${suffix}`;
}

function message(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
