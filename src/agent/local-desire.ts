import type { ClusterDefinition } from '../config/schema.js';
import { activeCount } from '../cluster/failcounts.js';
import type { LocalDesire } from '../resources/manager.js';
import type { ClusterSnapshot } from './cluster-snapshot.js';

/**
 * What this node must run, from the leader's published placement. Leader-only resources are wanted here only
 * while this node leads: a placement written by a deposed leader must not keep them running.
 */
export function localDesire(
  node: string,
  snapshot: ClusterSnapshot,
  definition: ClusterDefinition,
  leading: boolean,
): LocalDesire {
  const placement = snapshot.placement?.document.placement ?? {};
  const wanted = new Set<string>();
  for (const resource of definition.resources) {
    if (!(placement[resource.id] ?? []).includes(node)) continue;
    if (resource.placement === 'leader' && !leading) continue;
    wanted.add(resource.id);
  }
  return { wanted, maintenance: snapshot.intent.maintenance, unmanaged: new Set(snapshot.intent.unmanaged) };
}

/**
 * Why this node may not lead now, or null: standby, or a leader resource that failed here as often as its
 * migration threshold allows within its failure timeout (until `clusterctl cleanup` or the timeout).
 */
export function leadRefusal(
  node: string,
  snapshot: ClusterSnapshot,
  definition: ClusterDefinition,
  now: number,
): string | null {
  if (snapshot.intent.standby.includes(node)) return 'standby';
  for (const resource of definition.resources) {
    if (resource.placement !== 'leader') continue;
    const record = snapshot.failures.find((failure) => failure.node === node && failure.resource === resource.id);
    const count = activeCount(record, resource.failureTimeoutMs, now);
    if (count >= resource.migrationThreshold) {
      return `ineligible: ${resource.id} failed ${count} times here within ${Math.round(resource.failureTimeoutMs / 1000)} s (threshold ${resource.migrationThreshold})`;
    }
  }
  return null;
}
