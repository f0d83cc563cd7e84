import { readFailcounts, type FailureRecord } from '../cluster/failcounts.js';
import { NO_INTENT, readIntent, type Intent } from '../cluster/intent.js';
import { readNodes, type NodeView } from '../cluster/membership.js';
import { readPlacement, type PlacementDocument } from '../cluster/placement.js';
import type { ControlPlane } from '../store/control-plane.js';

/** What one tick reads from the control plane besides the lease: one consistent picture to decide from. */
export interface ClusterSnapshot {
  /** False when some read did not reach a majority: the rest is the previous tick's view. */
  fresh: boolean;
  nodes: NodeView[];
  intent: Intent & { version: number };
  placement: { version: number; document: PlacementDocument } | undefined;
  failures: FailureRecord[];
}

export const EMPTY_SNAPSHOT: ClusterSnapshot = {
  fresh: false,
  nodes: [],
  intent: NO_INTENT,
  placement: undefined,
  failures: [],
};

/** Reads everything in parallel; a part that fails keeps its previous value and marks the snapshot stale. */
export async function readSnapshot(
  plane: ControlPlane,
  heartbeatTtlMs: number,
  previous: ClusterSnapshot,
): Promise<ClusterSnapshot> {
  const [nodes, intent, placement, failures] = await Promise.allSettled([
    readNodes(plane, heartbeatTtlMs),
    readIntent(plane),
    readPlacement(plane),
    readFailcounts(plane),
  ]);
  return {
    fresh: [nodes, intent, placement, failures].every((part) => part.status === 'fulfilled'),
    nodes: nodes.status === 'fulfilled' ? nodes.value : previous.nodes,
    intent: intent.status === 'fulfilled' ? intent.value : previous.intent,
    placement: placement.status === 'fulfilled' ? placement.value : previous.placement,
    failures: failures.status === 'fulfilled' ? failures.value : previous.failures,
  };
}
