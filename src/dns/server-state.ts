import type { ControlPlane } from '../store/control-plane.js';
import type { EndpointState } from './listeners.js';
import type { QueryCounters } from './responder.js';

/**
 * What one node's DNS server says about itself, like an agent's heartbeat: written to every lock member under
 * its own key with a TTL (a server that stops writing disappears), in a set of known servers so that `clusterctl
 * dns` can also name the ones whose state expired.
 */
export interface DnsServerState {
  node: string;
  pid: number;
  startedAt: string;
  endpoints: EndpointState[];
  /** The record set it answers from, or null before the first one was read. */
  serving: { term: number; version: number; mode: string; leader: string } | null;
  /** ISO time of the last read of the control plane that reached a majority. */
  lastReadAt: string | null;
  /** Why the last read failed or the newest set could not be served, or null. */
  lastError: string | null;
  counters: QueryCounters;
}

/** How often a server writes its state, and how long the state lives without a new write. */
export const STATE_INTERVAL_MS = 1000;
export const STATE_TTL_MS = 5000;

/** Writes the state on every member that answers (informational: no majority needed). */
export async function writeServerState(plane: ControlPlane, state: DnsServerState, ttlMs = STATE_TTL_MS) {
  const keys = plane.keys;
  await plane.onAll((member) =>
    member.run('heartbeat', [keys.dnsServers, keys.dnsServer(state.node)], [state.node, JSON.stringify(state), ttlMs]),
  );
}

/** Removes this server's state (a clean stop). */
export async function removeServerState(plane: ControlPlane, node: string): Promise<void> {
  await plane.onAll((member) => member.client.del(plane.keys.dnsServer(node)));
}

/** Every server any member knows, with its freshest state (null once expired), in node order. */
export async function readServerStates(
  plane: ControlPlane,
): Promise<{ node: string; state: DnsServerState | null; ageMs: number | null }[]> {
  const keys = plane.keys;
  const answers = await plane.onAll((member) => member.run('readNodes', [keys.dnsServers], [keys.dnsServerPrefix]));
  const freshest = new Map<string, { raw: string; pttl: number }>();
  for (const answer of answers) {
    if (!answer.ok) continue;
    const flat = answer.value as (string | number)[];
    for (let index = 0; index + 2 < flat.length; index += 3) {
      const node = String(flat[index]);
      const raw = String(flat[index + 1]);
      const pttl = Number(flat[index + 2]);
      const known = freshest.get(node);
      if (!known || pttl > known.pttl) freshest.set(node, { raw, pttl });
    }
  }
  return [...freshest.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([node, { raw, pttl }]) => {
      const state = raw && pttl > 0 ? (JSON.parse(raw) as DnsServerState) : null;
      return { node, state, ageMs: state ? Math.max(0, STATE_TTL_MS - pttl) : null };
    });
}
