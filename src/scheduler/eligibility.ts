import type { ResourceDefinition } from '../config/schema.js';
import { neededByLeaderResources } from './dependencies.js';
import { leaderResourceFailed, neededResourceFailed, STANDBY_TO_LEAD } from './reasons.js';
import type { FailureCount, SchedulerInput, SchedulerNode } from './types.js';

/** The failures of a resource on a node that still count at the scheduler's `now`. */
export type FailureCounter = (resource: ResourceDefinition, node: string) => number;

/**
 * Builds the failure counter of one run. An entry counts while its last failure is younger than the resource's
 * failureTimeoutMs (one exactly failureTimeoutMs old has expired): the whole count expires at once, as Pacemaker's
 * failure-timeout does, so a node becomes eligible again without `cleanup` once it stopped failing for that long.
 * Several entries for one (node, resource) add up: a store should not hold them, but counting them all is the safe
 * reading (it can only make a node ineligible sooner, never hide a failure).
 */
export function failureCounter(input: Pick<SchedulerInput, 'failures' | 'now'>): FailureCounter {
  const byPair = new Map<string, FailureCount[]>();
  for (const failure of input.failures) {
    const key = pairKey(failure.node, failure.resource);
    byPair.set(key, [...(byPair.get(key) ?? []), failure]);
  }
  return (resource, node) =>
    (byPair.get(pairKey(node, resource.id)) ?? [])
      .filter((failure) => failure.lastFailureAt > input.now - resource.failureTimeoutMs)
      .reduce((sum, failure) => sum + failure.count, 0);
}

// Ids are identifiers (no NUL), so this key cannot mix up two pairs.
const pairKey = (node: string, resource: string) => `${node}\u0000${resource}`;

/** True when the resource failed on the node at least migrationThreshold times within failureTimeoutMs. */
export function reachedThreshold(failures: FailureCounter, resource: ResourceDefinition, node: string): boolean {
  return failures(resource, node) >= resource.migrationThreshold;
}

/**
 * The nodes that may not lead now, with the reason, in node order. Standby comes first (the operator's choice, and
 * it stays true after a cleanup). Otherwise a node may not lead when a `leader` resource reached its threshold on
 * it, or when a resource that a leader resource needs (through `after`, directly or not) did: the leader resource
 * could not run there either, so leading there would only keep it down. Every such resource is named, in definition
 * order and joined by "; ", so one status line shows all that must be cleaned up.
 * Offline nodes are listed too: the reason holds for them, and they must not campaign when they come back.
 */
export function leadIneligibility(
  resources: readonly ResourceDefinition[],
  nodes: readonly SchedulerNode[],
  failures: FailureCounter,
): Record<string, string> {
  const neededBy = neededByLeaderResources(resources);
  const mattersToLead = resources.filter((resource) => resource.placement === 'leader' || neededBy.has(resource.id));
  const ineligibleNodes: Record<string, string> = {};
  for (const node of nodes) {
    if (node.standby) {
      ineligibleNodes[node.id] = STANDBY_TO_LEAD;
      continue;
    }
    const failed = mattersToLead
      .filter((resource) => reachedThreshold(failures, resource, node.id))
      .map((resource) => {
        const count = failures(resource, node.id);
        const leaders = neededBy.get(resource.id);
        // A leader resource that another one needs is named as itself: its own failures are the news.
        return resource.placement === 'leader' || !leaders
          ? leaderResourceFailed(count, resource)
          : neededResourceFailed(count, resource, leaders);
      });
    if (failed.length > 0) ineligibleNodes[node.id] = failed.join('; ');
  }
  return ineligibleNodes;
}
