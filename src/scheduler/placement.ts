import type { ResourceDefinition } from '../config/schema.js';
import { dependencyOrder } from './dependencies.js';
import type { FailureCounter } from './eligibility.js';
import {
  dependencyMissing,
  handingOver,
  ineligible,
  ineligibleToLead,
  MAINTENANCE,
  notLeader,
  OFFLINE,
  STANDBY,
  UNMANAGED,
  type Reason,
} from './reasons.js';
import type { Placement, SchedulerInput, SchedulerNode, SchedulerOutput } from './types.js';

/** What one placement run decides from: the input plus what schedule() derived from it first. */
export interface PlanContext {
  input: SchedulerInput;
  /** input.nodes sorted by id: every node list and every `why` comes out in this order, whatever the input order. */
  nodes: readonly SchedulerNode[];
  failures: FailureCounter;
  ineligibleToLead: Readonly<Record<string, string>>;
  /** Set when the leader must hand over: its leader resources then go nowhere, so they stop before it does. */
  handover: SchedulerOutput['handover'];
}

/** Placement plus, for each resource, the reason for every node of input.nodes that does not get it. */
export interface Plan {
  placement: Placement;
  why: Map<string, Map<string, Reason>>;
}

/**
 * Places every resource of the definition, in dependency order so that each `after` is decided before it is read.
 *
 * Stickiness: apart from maintenance and unmanaged resources (frozen where they run, from input.current), placement
 * does not read input.current at all. Leader resources follow the lease and every-node resources run wherever they
 * may, so the only moves are lease moves and handovers; a node coming back adds instances and displaces nothing.
 * The reasons are checked from the most useful to the least: offline, standby, maintenance or unmanaged,
 * ineligible, dependency, leader only; the first that applies is the one reported.
 */
export function planPlacement(context: PlanContext): Plan {
  const { input, nodes } = context;
  const plan: Plan = { placement: {}, why: new Map() };
  for (const resource of dependencyOrder(input.definition.resources)) {
    const reasons = new Map<string, Reason>();
    const frozen = input.maintenance ? MAINTENANCE : input.unmanaged.includes(resource.id) ? UNMANAGED : undefined;
    if (frozen) {
      // Nothing starts or stops: where it runs now is where it should run, even on a node now offline or standby.
      const placed = sortedUnique(input.current[resource.id] ?? []);
      for (const node of nodes) {
        if (!placed.includes(node.id)) reasons.set(node.id, unavailable(node) ?? frozen);
      }
      plan.placement[resource.id] = placed;
    } else {
      const placed: string[] = [];
      for (const node of nodes) {
        const reason = notPlacedReason(context, plan, resource, node);
        if (reason) reasons.set(node.id, reason);
        else placed.push(node.id);
      }
      plan.placement[resource.id] = placed;
    }
    plan.why.set(resource.id, reasons);
  }
  return plan;
}

/** Why the resource must not run on the node, or undefined when it should run there. */
function notPlacedReason(
  context: PlanContext,
  plan: Plan,
  resource: ResourceDefinition,
  node: SchedulerNode,
): Reason | undefined {
  const down = unavailable(node);
  if (down) return down;
  if (resource.placement === 'leader') return leaderReason(context, plan, resource, node);
  // `promotable` is placed like `every-node` for now: an instance runs on every node that may run it. Choosing the
  // one to promote (on the leader's node) comes later, on top of this placement, without changing where it runs.
  return failedTooOften(context, resource, node) ?? missingDependency(plan, resource, node, false);
}

/** A `leader` resource runs on the leader only, when it may lead and its dependencies run there too. */
function leaderReason(
  context: PlanContext,
  plan: Plan,
  resource: ResourceDefinition,
  node: SchedulerNode,
): Reason | undefined {
  const { leader } = context.input;
  if (node.id === leader) {
    const { handover } = context;
    if (handover) return handingOver(handover.reason, handover.to);
    return failedTooOften(context, resource, node) ?? missingDependency(plan, resource, node, false);
  }
  // A follower: say first what would keep the resource away even if this node led, then that it does not lead.
  const leadReason = context.ineligibleToLead[node.id];
  return (
    failedTooOften(context, resource, node) ??
    (leadReason === undefined ? undefined : ineligibleToLead(leadReason)) ??
    missingDependency(plan, resource, node, true) ??
    notLeader(leader)
  );
}

function unavailable(node: SchedulerNode): Reason | undefined {
  if (!node.online) return OFFLINE;
  if (node.standby) return STANDBY;
  return undefined;
}

function failedTooOften(context: PlanContext, resource: ResourceDefinition, node: SchedulerNode): Reason | undefined {
  const count = context.failures(resource, node.id);
  return count >= resource.migrationThreshold ? ineligible(count, resource) : undefined;
}

/**
 * The first dependency (in `after` order) not placed on the node. On a follower, a leader resource passes over a
 * dependency that is missing only because the node does not lead: "only on the leader" says more than
 * "dependency vip not placed on stg2", which would be just as true of every follower.
 */
function missingDependency(
  plan: Plan,
  resource: ResourceDefinition,
  node: SchedulerNode,
  onFollower: boolean,
): Reason | undefined {
  for (const dependency of resource.after) {
    if (plan.placement[dependency]?.includes(node.id)) continue;
    const cause = plan.why.get(dependency)?.get(node.id);
    if (onFollower && cause?.followsLeader) continue;
    return dependencyMissing(dependency, node.id, cause);
  }
  return undefined;
}

function sortedUnique(nodes: readonly string[]): string[] {
  return [...new Set(nodes)].sort();
}
