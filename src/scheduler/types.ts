import type { ClusterDefinition } from '../config/schema.js';

/** Where each resource should run: resource id -> node ids (sorted). */
export type Placement = Record<string, string[]>;

/** One node as the scheduler sees it. */
export interface SchedulerNode {
  id: string;
  /** Heartbeat fresh (the node's agent runs and reaches a majority of lock members). */
  online: boolean;
  standby: boolean;
}

/** A failure counted against a resource on a node (written by that node's agent). */
export interface FailureCount {
  node: string;
  resource: string;
  count: number;
  /** Wall-clock milliseconds of the last failure: a count expires failureTimeoutMs after it. */
  lastFailureAt: number;
}

/** Everything the scheduler decides from: no I/O, no clock of its own. */
export interface SchedulerInput {
  definition: ClusterDefinition;
  /** The node holding the lease (the scheduler runs there); undefined: nobody leads, leader resources go nowhere. */
  leader: string | undefined;
  nodes: readonly SchedulerNode[];
  maintenance: boolean;
  /** Resource ids the operator took out of management. */
  unmanaged: readonly string[];
  failures: readonly FailureCount[];
  /** Where resources run now, as observed (for stickiness, and to freeze placement in maintenance). */
  current: Placement;
  /** Wall-clock milliseconds now. */
  now: number;
}

export interface SchedulerOutput {
  placement: Placement;
  /**
   * Why a resource is not placed on a node, one sentence per (resource, node) pair that could have had it, e.g.
   * "ineligible: 3 failures in the last 600 s (threshold 3)", "standby", "dependency haproxy not placed on stg2",
   * "maintenance: nothing is started or stopped", "unmanaged", "only on the leader (stg1)".
   */
  why: Record<string, Record<string, string>>;
  /**
   * Nodes that may not lead now, with the reason: standby, or the failure count of a leader resource (or of a
   * resource a leader resource needs through `after`) reached its threshold there.
   */
  ineligibleToLead: Record<string, string>;
  /** Set when the current leader is ineligible: it must hand over to `to` (or to nobody eligible: undefined). */
  handover: { from: string; to: string | undefined; reason: string } | undefined;
}
