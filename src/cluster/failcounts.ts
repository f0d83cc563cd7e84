import type { ControlPlane } from '../store/control-plane.js';
import type { FailureCount } from '../scheduler/types.js';

/** The last failure of a resource on a node, as `clusterctl status` shows it. */
export interface LastFailure {
  operation: string;
  rc: number;
  rcName: string;
  reason: string;
  /** ISO time. */
  at: string;
}

export interface FailureRecord extends FailureCount {
  last: LastFailure;
}

const field = (node: string, resource: string) => `${node}|${resource}`;

/** Counts a failure on every member; resolves with the count (the highest a member reports). */
export async function recordFailure(
  plane: ControlPlane,
  node: string,
  resource: string,
  failure: LastFailure,
  failureTimeoutMs: number,
): Promise<number> {
  const answers = await plane.onMajority((member) =>
    member.run(
      'recordFailure',
      [plane.keys.failcounts],
      [field(node, resource), Date.now(), failureTimeoutMs, JSON.stringify(failure)],
    ),
  );
  return Math.max(0, ...plane.requireMajority('failure count', answers).map(({ value }) => Number(value)));
}

/** Every failure count, the highest per (node, resource) among a majority of members. */
export async function readFailcounts(plane: ControlPlane): Promise<FailureRecord[]> {
  const answers = await plane.onMajority((member) => member.client.hgetall(plane.keys.failcounts));
  const best = new Map<string, FailureRecord>();
  for (const { value } of plane.requireMajority('read of the failure counts', answers)) {
    for (const [key, raw] of Object.entries(value)) {
      const [node, resource] = key.split('|') as [string, string];
      const parsed = JSON.parse(raw) as { count: number; lastFailureAt: number; last: LastFailure };
      const known = best.get(key);
      if (!known || parsed.count > known.count) best.set(key, { node, resource, ...parsed });
    }
  }
  return [...best.values()].sort((a, b) => a.node.localeCompare(b.node) || a.resource.localeCompare(b.resource));
}

/** Forgets the failures of a resource (on one node, or on all): `clusterctl cleanup`. Returns the fields removed. */
export async function clearFailcounts(plane: ControlPlane, resource: string, node?: string): Promise<number> {
  const records = await readFailcounts(plane);
  const fields = records
    .filter((record) => record.resource === resource && (node === undefined || record.node === node))
    .map((record) => field(record.node, record.resource));
  if (fields.length === 0) return 0;
  const answers = await plane.onAll((member) => member.client.hdel(plane.keys.failcounts, ...fields));
  plane.requireMajority('cleanup of the failure counts', answers);
  await plane.wakeAgents('cleanup');
  return fields.length;
}

/** Counts within their failure timeout only: an expired count no longer matters. */
export function activeCount(record: FailureCount | undefined, failureTimeoutMs: number, now: number): number {
  if (!record) return 0;
  return record.lastFailureAt > now - failureTimeoutMs ? record.count : 0;
}
