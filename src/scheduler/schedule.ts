import { failureCounter, leadIneligibility } from './eligibility.js';
import { planHandover } from './handover.js';
import { planPlacement } from './placement.js';
import type { SchedulerInput, SchedulerOutput } from './types.js';

/**
 * Decides where every resource of the definition should run (ARCHITECTURE.md, "The control loop", step 2).
 *
 * Pure: no I/O, no clock (time is input.now), input left untouched, and the same input gives the same output; node
 * lists are sorted and every object lists resources in definition order and nodes in id order, whatever order the
 * input gives, so two runs can be compared as JSON.
 *
 * - `leader`: on the leader only, when it is online, not standby, eligible to lead and its `after` run there.
 * - `every-node` (and `promotable`, for now): on every online, non-standby node where it has not failed
 *   migrationThreshold times within failureTimeoutMs and its `after` run.
 * - Maintenance freezes every resource where it runs (input.current); an unmanaged resource is frozen alone.
 * - A node is ineligible to lead when standby, or when a leader resource, or a resource one needs through `after`,
 *   reached its threshold there. An ineligible leader gets a `handover` (not in maintenance), and its leader
 *   resources go nowhere so that they stop before the lease moves.
 * - `why` holds one sentence for each resource and each node of input.nodes that does not get it.
 */
export function schedule(input: SchedulerInput): SchedulerOutput {
  const nodes = [...input.nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const failures = failureCounter(input);
  const ineligibleToLead = leadIneligibility(input.definition.resources, nodes, failures);
  const base = { input, nodes, failures, ineligibleToLead };
  const handover = planHandover(base);
  const plan = planPlacement({ ...base, handover });

  // Rebuilt in definition order: the plan was made in dependency order.
  const placement: SchedulerOutput['placement'] = {};
  const why: SchedulerOutput['why'] = {};
  for (const { id } of input.definition.resources) {
    placement[id] = plan.placement[id] ?? [];
    why[id] = Object.fromEntries([...(plan.why.get(id) ?? [])].map(([node, reason]) => [node, reason.text]));
  }
  return { placement, why, ineligibleToLead, handover };
}
