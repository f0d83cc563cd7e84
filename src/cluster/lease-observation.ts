import type { MemberAnswer } from '../store/control-plane.js';

export interface LeaseHolder {
  node: string;
  term: number;
  instance: string;
}

/** What one lock member said about the lease. */
export interface MemberLeaseState {
  member: string;
  counted: boolean;
  reachable: boolean;
  holder: LeaseHolder | undefined;
  pttlMs: number;
  fence: number;
  handoff: { node: string; pttlMs: number } | undefined;
  definition: { term: number; version: number } | undefined;
}

/** The lease as a majority of lock members sees it, at the moment of reading. */
export interface LeaseObservation {
  total: number;
  majority: number;
  /** Members that answered. */
  reachable: number;
  /** Members whose answers count (reachable, identity known, not restarted within a ttl). */
  counted: number;
  quorum: boolean;
  /** The holder found on the most counted members, with the time it still holds a majority (0: it does not). */
  holder: LeaseHolder | undefined;
  holderValidMs: number;
  /** Time until a majority of members has no lease (0: free now); undefined without quorum. */
  freeInMs: number | undefined;
  /** The highest term any member has accepted. */
  fence: number;
  handoff: { node: string; pttlMs: number } | undefined;
  /** The newest definition (term, version) the counted members hold. */
  definition: { term: number; version: number } | undefined;
  members: MemberLeaseState[];
}

type ReadLeaseReply = [string, string, string, number, string, string, number, string, string];

export function parseMemberLease(answer: MemberAnswer<unknown>): MemberLeaseState {
  const base = { member: answer.member.label, counted: answer.counted };
  if (!answer.ok) {
    return {
      ...base,
      counted: false,
      reachable: false,
      holder: undefined,
      pttlMs: 0,
      fence: 0,
      handoff: undefined,
      definition: undefined,
    };
  }
  const [node, term, instance, pttl, fence, handoffNode, handoffPttl, definitionTerm, definitionVersion] =
    answer.value as ReadLeaseReply;
  return {
    ...base,
    reachable: true,
    holder: node ? { node, term: Number(term), instance } : undefined,
    pttlMs: node && pttl > 0 ? pttl : 0,
    fence: Number(fence),
    handoff: handoffNode ? { node: handoffNode, pttlMs: Math.max(0, handoffPttl) } : undefined,
    definition: definitionTerm ? { term: Number(definitionTerm), version: Number(definitionVersion) } : undefined,
  };
}

/** Merges the members' answers the way the election reads them: only counted members, majority rules. */
export function observeLease(states: MemberLeaseState[], total: number, majority: number): LeaseObservation {
  const counted = states.filter((state) => state.counted);
  const quorum = counted.length >= majority;
  const fence = Math.max(0, ...states.map((state) => state.fence));

  const byHolder = new Map<string, { holder: LeaseHolder; pttls: number[] }>();
  for (const state of counted) {
    if (!state.holder) continue;
    const key = `${state.holder.node}/${state.holder.term}/${state.holder.instance}`;
    const entry = byHolder.get(key) ?? { holder: state.holder, pttls: [] };
    entry.pttls.push(state.pttlMs);
    byHolder.set(key, entry);
  }
  const top = [...byHolder.values()].sort((a, b) => b.pttls.length - a.pttls.length)[0];
  // The holder keeps a majority as long as the majority-th longest lease on its members lasts.
  const holderValidMs = top && top.pttls.length >= majority ? [...top.pttls].sort((a, b) => b - a)[majority - 1]! : 0;

  // A candidate can win once a majority of members has no lease: the majority-th shortest remaining lease.
  const remaining = counted.map((state) => (state.holder ? state.pttlMs : 0)).sort((a, b) => a - b);
  const freeInMs = quorum ? remaining[majority - 1]! : undefined;

  const handoff = counted.map((state) => state.handoff).find((value) => value !== undefined);
  const definition = counted
    .map((state) => state.definition)
    .filter((value) => value !== undefined)
    .sort((a, b) => b.term - a.term || b.version - a.version)[0];

  return {
    total,
    majority,
    reachable: states.filter((state) => state.reachable).length,
    counted: counted.length,
    quorum,
    holder: top?.holder,
    holderValidMs,
    freeInMs,
    fence,
    handoff,
    definition,
    members: states,
  };
}
