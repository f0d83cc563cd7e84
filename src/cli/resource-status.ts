import type { ClusterDefinition } from '../config/schema.js';
import { activeCount, type FailureRecord, type LastFailure } from '../cluster/failcounts.js';
import type { Intent } from '../cluster/intent.js';
import type { NodeView } from '../cluster/membership.js';
import type { PlacementDocument } from '../cluster/placement.js';

/** One resource in `clusterctl status`: where it should run, where it runs, and why not elsewhere. */
export interface ResourceStatus {
  id: string;
  kind: string;
  placement: string;
  managed: boolean;
  /** Where the scheduler placed it. */
  placedOn: string[];
  instances: { node: string; state: string; failcount: number; blockedBy: string | null }[];
  /** The highest failure count on any node, with the threshold that moves it away. */
  failcount: number;
  migrationThreshold: number;
  lastFailure: (LastFailure & { node: string }) | null;
  /** Why it does not run on a node, one line per node, from the scheduler and from the node itself. */
  whyNotRunning: { node: string; reason: string }[];
}

/** What can be said of a resource on a node whose agent does not report: not that it is stopped. */
const OFFLINE_REASON = 'node offline: its agent does not report, so the state there is unknown';

export function resourceStatuses(
  definition: ClusterDefinition | undefined,
  placement: PlacementDocument | undefined,
  nodes: readonly NodeView[],
  intent: Intent,
  failures: readonly FailureRecord[],
  now: number,
): ResourceStatus[] {
  if (!definition) return [];
  return definition.resources.map((resource) => {
    const placedOn = placement?.placement[resource.id] ?? [];
    const instances = nodes
      .filter((node) => node.state !== 'offline')
      .map((node) => {
        const local = node.heartbeat?.resources?.find((entry) => entry.id === resource.id);
        const record = failures.find((failure) => failure.node === node.id && failure.resource === resource.id);
        return {
          node: node.id,
          state: local?.state ?? 'unknown',
          failcount: activeCount(record, resource.failureTimeoutMs, now),
          blockedBy: local?.blockedBy ?? null,
        };
      });
    const records = failures.filter((failure) => failure.resource === resource.id);
    const latest = [...records].sort((a, b) => b.lastFailureAt - a.lastFailureAt)[0];
    const whyNotRunning: { node: string; reason: string }[] = [];
    for (const node of nodes) {
      const instance = instances.find((entry) => entry.node === node.id);
      if (instance?.state === 'started') continue;
      if (node.state === 'offline') {
        whyNotRunning.push({ node: node.id, reason: OFFLINE_REASON });
        continue;
      }
      const reason = placedOn.includes(node.id)
        ? (instance?.blockedBy ?? 'starting')
        : (placement?.why[resource.id]?.[node.id] ?? 'not placed here');
      whyNotRunning.push({ node: node.id, reason });
    }
    return {
      id: resource.id,
      kind: resource.kind,
      placement: resource.placement,
      managed: !intent.unmanaged.includes(resource.id),
      placedOn,
      instances,
      failcount: Math.max(0, ...instances.map((instance) => instance.failcount)),
      migrationThreshold: resource.migrationThreshold,
      lastFailure: latest ? { ...latest.last, node: latest.node } : null,
      whyNotRunning,
    };
  });
}
