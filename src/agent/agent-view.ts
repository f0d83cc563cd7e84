import { performance } from 'node:perf_hooks';
import type { ClusterDefinition } from '../config/schema.js';
import type { Election } from '../cluster/election.js';
import type { AgentView } from '../http/agent-view.js';
import type { LocalResourceState } from '../resources/manager.js';
import type { Placement } from '../scheduler/types.js';

export interface AgentViewSource {
  node: string;
  seesMajority: () => boolean;
  election: Election;
  termSeen: () => number;
  resources: () => LocalResourceState[];
  definition: () => ClusterDefinition;
  placement: () => Placement;
  eventLoopLagMs: () => number;
}

/** The agent as its HTTP endpoint and metrics see it: read from memory at each request. */
export function agentView(source: AgentViewSource): AgentView {
  const { node, election } = source;
  return {
    node,
    seesMajority: source.seesMajority,
    leaderTerm: () => election.leading()?.term,
    termSeen: () => Math.max(source.termSeen(), election.heldTerm ?? 0),
    leaseLeftMs: () => {
      const leadership = election.leading();
      return leadership ? Math.max(0, Math.round(leadership.until - performance.now())) : undefined;
    },
    resources: () =>
      source.resources().flatMap((state) => {
        const resource = source.definition().resources.find((entry) => entry.id === state.id);
        if (!resource) return [];
        return [
          {
            id: state.id,
            placement: resource.placement,
            wanted: (source.placement()[state.id] ?? []).includes(node),
            state: state.state,
            failcount: state.failcount,
            migrationThreshold: resource.migrationThreshold,
            lastFailure: state.lastFailure ?? undefined,
          },
        ];
      }),
    eventLoopLagMs: source.eventLoopLagMs,
  };
}
