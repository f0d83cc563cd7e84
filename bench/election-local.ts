import { DEFAULT_TIMINGS } from '../src/config/defaults.js';
import { TestCluster, wallNow } from '../test/helpers/cluster.js';
import { waitFor } from '../test/helpers/wait.js';
import type { BenchResult } from './run.js';
import { summarize } from './stats.js';

/**
 * Election time on loopback with three lock members and three agents at default timings: from SIGKILL of the
 * leader agent (the lease must expire) and from SIGTERM (graceful release naming a successor) to the new leader's
 * first journaled action. The stopped agent is restarted and back online before the next run.
 */
export async function run(args: string[]): Promise<BenchResult> {
  const runs = Number(args[args.indexOf('--runs') + 1] ?? 20) || 20;
  const cluster = await TestCluster.start({ members: 3 });
  const crash: number[] = [];
  const graceful: number[] = [];
  try {
    for (const id of ['stg1', 'stg2', 'stg3']) cluster.startAgent(id);
    await cluster.waitForLeader(0, 20_000);
    for (let index = 0; index < runs; index += 1) {
      crash.push(await electionAfter(cluster, 'SIGKILL'));
      graceful.push(await electionAfter(cluster, 'SIGTERM'));
    }
  } finally {
    await cluster.close();
  }
  const crashMs = summarize(crash);
  const gracefulMs = summarize(graceful);
  return {
    lines: [
      `election-local: ${runs} runs each, lease ttl ${DEFAULT_TIMINGS.leaseTtlMs} ms, 3 lock members, 3 agents on loopback`,
      `  after SIGKILL of the leader:  p50 ${crashMs.p50} ms, p95 ${crashMs.p95} ms, max ${crashMs.max} ms (min ${crashMs.min})`,
      `  after SIGTERM of the leader:  p50 ${gracefulMs.p50} ms, p95 ${gracefulMs.p95} ms, max ${gracefulMs.max} ms (min ${gracefulMs.min})`,
    ],
    figures: {
      bench: 'election-local',
      crash_ms: crashMs,
      graceful_ms: gracefulMs,
      lease_ttl_ms: DEFAULT_TIMINGS.leaseTtlMs,
    },
  };
}

async function electionAfter(cluster: TestCluster, signal: 'SIGKILL' | 'SIGTERM'): Promise<number> {
  const old = await cluster.waitForLeader(0, 20_000);
  await waitFor(
    'every node online',
    async () => (await cluster.status()).nodes.filter((node) => node.state === 'online').length === 3,
    {
      timeoutMs: 20_000,
    },
  );
  const stoppedAt = wallNow();
  await cluster.agents.get(old.node)!.stop(signal);
  const next = await cluster.waitForLeader(old.term, 20_000);
  const lead = cluster.journal().find((entry) => entry.term === next.term && entry.action === 'lead')!;
  cluster.startAgent(old.node);
  return lead.wallMs - stoppedAt;
}
