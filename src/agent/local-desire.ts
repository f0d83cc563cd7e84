import type { ClusterDefinition } from '../config/schema.js';
import { failureCounter, leadIneligibility } from '../scheduler/eligibility.js';
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
 * Why this node may not lead now, or null: the scheduler's own rule (standby, or a leader resource, or one a leader
 * resource needs, failed here as often as its migration threshold allows within its failure timeout), so a node
 * never campaigns only to hand over at once. It holds until `clusterctl cleanup` or the timeout.
 */
export function leadRefusal(
  node: string,
  snapshot: ClusterSnapshot,
  definition: ClusterDefinition,
  now: number,
): string | null {
  const self = [{ id: node, online: true, standby: snapshot.intent.standby.includes(node) }];
  const reason = leadIneligibility(definition.resources, self, failureCounter({ failures: snapshot.failures, now }))[
    node
  ];
  if (reason === undefined) return null;
  return reason === 'standby' ? reason : `ineligible: ${reason}`;
}
