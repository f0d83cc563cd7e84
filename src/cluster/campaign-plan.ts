import type { LeaseObservation } from './lease-observation.js';
import type { NodeView } from './membership.js';

export interface CampaignPlan {
  /**
   * Milliseconds after the lease becomes free on a majority at which this node should try to take it;
   * undefined: do not campaign.
   */
  afterFreeMs: number | undefined;
  rank: number;
  why: string;
}

/**
 * When to campaign (pure). Split votes are avoided, not retried: candidates go in node order, each waiting its rank
 * times rankDelayMs after the lease becomes free on a majority (read from the members, not polled). A successor
 * named by a graceful release goes first; the others wait for its turn to pass.
 */
export function planCampaign(
  self: string,
  observation: LeaseObservation,
  nodes: readonly NodeView[],
  rankDelayMs: number,
  /** The last holder seen: it is gone or going, so it takes no rank (its heartbeat may outlive it a little). */
  lastHolder: string | undefined,
): CampaignPlan {
  if (!observation.quorum || observation.freeInMs === undefined) {
    return {
      afterFreeMs: undefined,
      rank: -1,
      why: `reached ${observation.counted}/${observation.total} lock members`,
    };
  }
  const handoff = observation.handoff;
  if (handoff?.node === self) return { afterFreeMs: 0, rank: 0, why: 'named successor' };
  const gone = new Set([observation.holder?.node, lastHolder]);
  const candidates = nodes
    .filter((node) => node.state === 'online' && node.heartbeat?.refusal === null)
    .map((node) => node.id)
    .filter((id) => !gone.has(id) || id === self);
  if (!candidates.includes(self)) candidates.push(self);
  candidates.sort();
  const rank = candidates.indexOf(self);
  // A named successor has the first turn for as long as the handoff lasts; the others queue behind it.
  const handoffWait = handoff ? Math.max(0, handoff.pttlMs - observation.freeInMs) : 0;
  return {
    afterFreeMs: handoffWait + rank * rankDelayMs,
    rank,
    why: handoff ? `after ${handoff.node}'s turn, rank ${rank}` : `rank ${rank}`,
  };
}
