import { planPlacement, type PlanContext } from './placement.js';
import type { SchedulerOutput } from './types.js';

/**
 * The handover the leader must make, if any: when it is ineligible to lead (standby, or a leader resource or one
 * it needs failed too often on it), it stops its leader resources and hands the lease over, as a switchover does.
 * Not in maintenance: maintenance moves nothing, the leader keeps the lease and ineligibleToLead only reports.
 * A leader that is merely offline (stale heartbeat) gets no handover: its lease expires on its own, and a handover
 * is something the leader itself performs.
 */
export function planHandover(context: Omit<PlanContext, 'handover'>): SchedulerOutput['handover'] {
  const { leader, maintenance } = context.input;
  if (leader === undefined || maintenance) return undefined;
  const reason = context.ineligibleToLead[leader];
  if (reason === undefined) return undefined;
  return { from: leader, to: chooseSuccessor(context, leader), reason };
}

/**
 * The best node to take over: online, not standby, eligible to lead; among those, the one on which the most managed
 * leader resources could run were it the leader (tried by placing with it as leader), then the first in node-id
 * order (the order candidates campaign in). Why more than node-id order: an eligible node may still be unable to run
 * a leader resource, e.g. when an unmanaged dependency does not run there; handing over to it would keep it down.
 * Undefined when no node qualifies.
 */
function chooseSuccessor(context: Omit<PlanContext, 'handover'>, from: string): string | undefined {
  const { input } = context;
  const leaderResources = input.definition.resources.filter(
    (resource) => resource.placement === 'leader' && !input.unmanaged.includes(resource.id),
  );
  let best: string | undefined;
  let bestCount = -1;
  for (const node of context.nodes) {
    if (node.id === from || !node.online || node.standby || context.ineligibleToLead[node.id] !== undefined) continue;
    // The candidate is eligible, so this trial has no handover of its own: no recursion.
    const trial = planPlacement({ ...context, input: { ...input, leader: node.id }, handover: undefined });
    const count = leaderResources.filter((resource) => trial.placement[resource.id]?.includes(node.id)).length;
    if (count > bestCount) {
      best = node.id;
      bestCount = count;
    }
  }
  return best;
}
