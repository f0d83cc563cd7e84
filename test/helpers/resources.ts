import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCluster } from './cluster.js';
import { readDummyJournal, type DummyJournalEntry } from './dummy-journal.js';

/** A leader-only dummy (OCF) journaling its actions, and a tiny every-node process, with quick monitors. */
export function resourceDefinition(cluster: TestCluster, overrides: { migrationThreshold?: number } = {}) {
  return {
    resources: [
      {
        id: 'dummy',
        kind: 'ocf',
        agent: 'dummy',
        placement: 'leader',
        params: { journal: dummyJournalPath(cluster) },
        monitorIntervalMs: 300,
        migrationThreshold: overrides.migrationThreshold ?? 3,
        timeouts: { startMs: 5000, stopMs: 5000, monitorMs: 5000 },
      },
      {
        id: 'worker',
        kind: 'process',
        command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
        placement: 'every-node',
        monitorIntervalMs: 300,
        timeouts: { startMs: 5000, stopMs: 5000, monitorMs: 5000 },
      },
    ],
  };
}

export function dummyJournalPath(cluster: TestCluster): string {
  return join(cluster.dir, 'dummy.journal');
}

/** The dummy's state file on one node (the agent gives each node its own resource temp folder). */
export function dummyStatePath(cluster: TestCluster, node: string): string {
  return join(cluster.dir, node, 'rsctmp', 'dummy-dummy.state');
}

/** The worker's pid on one node, from its pidfile. */
export function workerPid(cluster: TestCluster, node: string): number | undefined {
  const path = join(cluster.dir, node, 'resources', 'worker.pid');
  if (!existsSync(path)) return undefined;
  return Number(readFileSync(path, 'utf8').trim().split(/\s+/)[0]);
}

export type DummyAction = DummyJournalEntry;

export function dummyJournal(cluster: TestCluster): DummyAction[] {
  return readDummyJournal(dummyJournalPath(cluster));
}

/**
 * The dummy's holders as intervals: a node holds it from a successful start (under a term) to its stop, or to its
 * last action under that term when it never stopped it (its agent died). Returns the overlaps, in words.
 */
export function dummyOverlaps(actions: readonly DummyAction[]): string[] {
  const intervals: { node: string; term: number; from: number; to: number }[] = [];
  const open = new Map<string, { node: string; term: number; from: number; to: number }>();
  for (const action of actions) {
    if (action.action === 'start' && action.rc === 0 && action.term !== undefined) {
      open.set(action.node, { node: action.node, term: action.term, from: action.wallMs, to: action.wallMs });
    } else if (open.has(action.node)) {
      const interval = open.get(action.node)!;
      if (action.term === interval.term) interval.to = action.wallMs;
      if (action.action === 'stop') {
        interval.to = action.wallMs;
        intervals.push(interval);
        open.delete(action.node);
      }
    }
  }
  intervals.push(...open.values());
  const overlaps: string[] = [];
  for (const a of intervals) {
    for (const b of intervals) {
      if (a !== b && a.node < b.node && a.from <= b.to && b.from <= a.to) {
        overlaps.push(
          `${a.node} (term ${a.term}, ${a.from}-${a.to}) and ${b.node} (term ${b.term}, ${b.from}-${b.to})`,
        );
      }
    }
  }
  return overlaps;
}
