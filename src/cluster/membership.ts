import type { LocalResourceState } from '../resources/manager.js';
import type { ControlPlane } from '../store/control-plane.js';

export type NodeState = 'online' | 'standby' | 'offline';

/** What the agent last read from this node's stg-sip-proxy `/status` (at: when it was read). */
export type SipProxySummary =
  | {
      flows: number;
      transactions: number;
      /** Calls and messages waiting for a pushed device to register; null when the proxy has no push wait. */
      pushPending: number | null;
      /**
       * Live bindings registered through stg-sip-proxy on any node (the same figure from every proxy); null when the
       * proxy has no registrar or cannot read the data Redis. Optional: an older agent's heartbeat lacks it.
       */
      registrations?: number | null;
      dataStore: 'up' | 'down' | 'none' | 'unknown';
      at: string;
    }
  | { unreachable: true; reason: string; at: string };

/** What a node says about itself on every tick; it expires unless refreshed (heartbeatTtlMs). */
export interface Heartbeat {
  node: string;
  /** The agent's process id (the one to signal on this node). */
  pid: number;
  address: string;
  http: string;
  instance: string;
  startedAt: string;
  standby: boolean;
  /** The term this node leads, when it does. */
  leaderTerm: number | null;
  definitionVersion: number | null;
  /** Why the node refuses to lead, when it does (e.g. a definition it cannot validate). */
  refusal: string | null;
  sentence: string;
  eventLoopLagMs: number;
  /** Campaigns this agent process started (a storm of them would show here). */
  campaignsTried: number;
  members: { label: string; runId: string | null; runIdChanges: number; counted: boolean }[];
  /** This node's resources as it last saw them (state, failure count, last failure, why not running). */
  resources: LocalResourceState[];
  maintenance: boolean;
  /** The version of the operator intent this node has applied (clusterctl waits for it). */
  intentVersion: number;
  /** This node's SIP proxy, when the node file has `sipProxy` (absent before the first read and without one). */
  sip?: SipProxySummary;
}

export interface NodeView {
  id: string;
  state: NodeState;
  /** Milliseconds since the last heartbeat (undefined when it has expired). */
  heartbeatAgeMs: number | undefined;
  heartbeat: Heartbeat | undefined;
}

/** Writes this node's heartbeat on every member; resolves with the number of members that stored it. */
export async function sendHeartbeat(plane: ControlPlane, heartbeat: Heartbeat, ttlMs: number): Promise<number> {
  const keys = plane.keys;
  const answers = await plane.onMajority((member) =>
    member.run(
      'heartbeat',
      [keys.nodes, keys.heartbeat(heartbeat.node)],
      [heartbeat.node, JSON.stringify(heartbeat), ttlMs],
    ),
  );
  return answers.filter((answer) => answer.ok).length;
}

/**
 * Every node any member knows, with the freshest heartbeat among the members that answered (a heartbeat that
 * reached one member proves the node alive). Throws NoQuorumError without a majority of answers.
 */
export async function readNodes(plane: ControlPlane, heartbeatTtlMs: number): Promise<NodeView[]> {
  const keys = plane.keys;
  const answers = await plane.onMajority((member) => member.run('readNodes', [keys.nodes], [keys.heartbeatPrefix]));
  const freshest = new Map<string, { raw: string; pttl: number }>();
  for (const { value } of plane.requireMajority('read of the nodes', answers)) {
    const flat = value as (string | number)[];
    for (let index = 0; index + 2 < flat.length; index += 3) {
      const id = String(flat[index]);
      const raw = String(flat[index + 1]);
      const pttl = Number(flat[index + 2]);
      const known = freshest.get(id);
      if (!known || pttl > known.pttl) freshest.set(id, { raw, pttl });
    }
  }
  return [...freshest.entries()]
    .map(([id, { raw, pttl }]) => {
      const heartbeat = raw && pttl > 0 ? (JSON.parse(raw) as Heartbeat) : undefined;
      const state: NodeState = !heartbeat ? 'offline' : heartbeat.standby ? 'standby' : 'online';
      return { id, state, heartbeat, heartbeatAgeMs: heartbeat ? Math.max(0, heartbeatTtlMs - pttl) : undefined };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}
