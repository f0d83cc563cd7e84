import type { ResourceDefinition } from '../config/schema.js';

/*
 * Every sentence the scheduler writes into `why`, `ineligibleToLead` and `handover.reason`, in one place: clusterctl
 * status shows them as they are, so their wording is part of what operators read (and of what tests assert).
 */

/** Why one resource is not placed on one node. */
export interface Reason {
  text: string;
  /**
   * True when the root cause is only "this node does not lead" (directly, or through a chain of dependencies). A
   * leader resource on a follower skips such a dependency: "only on the leader" is then the more useful sentence.
   */
  followsLeader: boolean;
}

const plain = (text: string): Reason => ({ text, followsLeader: false });

export const OFFLINE: Reason = plain('offline');
export const STANDBY: Reason = plain('standby');
export const MAINTENANCE: Reason = plain('maintenance: nothing is started or stopped');
export const UNMANAGED: Reason = plain('unmanaged');

/** The standby reason in `ineligibleToLead` (a standby node must not take the lease). */
export const STANDBY_TO_LEAD = 'standby';

/** "3 failures in the last 600 s (threshold 3)": the count that still counts now, its window and the threshold. */
export function failuresSentence(count: number, resource: ResourceDefinition): string {
  const failures = count === 1 ? 'failure' : 'failures';
  return `${count} ${failures} in the last ${resource.failureTimeoutMs / 1000} s (threshold ${resource.migrationThreshold})`;
}

/** The resource failed too often on this node. */
export function ineligible(count: number, resource: ResourceDefinition): Reason {
  return plain(`ineligible: ${failuresSentence(count, resource)}`);
}

/** One entry of an `ineligibleToLead` reason: which leader resource failed too often. */
export function leaderResourceFailed(count: number, resource: ResourceDefinition): string {
  return `${resource.id}: ${failuresSentence(count, resource)}`;
}

/** One entry of an `ineligibleToLead` reason: a resource that leader resources need failed too often. */
export function neededResourceFailed(count: number, resource: ResourceDefinition, neededBy: readonly string[]): string {
  return `${resource.id} (needed by ${neededBy.join(', ')}): ${failuresSentence(count, resource)}`;
}

/** A follower that may not lead (so leader resources could not come here by a lease move either). */
export function ineligibleToLead(reason: string): Reason {
  return plain(`ineligible to lead: ${reason}`);
}

/** The leader is ineligible: its leader resources stop before it hands over, to `successor` or to nobody. */
export function handingOver(reason: string, successor: string | undefined): Reason {
  const next = successor === undefined ? 'no eligible node to hand over to' : `handing over to ${successor}`;
  return plain(`ineligible to lead: ${reason}; ${next}`);
}

/** A dependency (`after`) is not placed on this node; inherits whether that is only because the node does not lead. */
export function dependencyMissing(dependency: string, node: string, cause: Reason | undefined): Reason {
  return { text: `dependency ${dependency} not placed on ${node}`, followsLeader: cause?.followsLeader ?? false };
}

/** A leader resource on a node that does not lead. */
export function notLeader(leader: string | undefined): Reason {
  return { text: leader === undefined ? 'no leader' : `only on the leader (${leader})`, followsLeader: true };
}
