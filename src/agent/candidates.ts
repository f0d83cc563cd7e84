import type { ClusterSnapshot } from './cluster-snapshot.js';

/**
 * Null when `id` could lead now: online with a fresh heartbeat (a node that died keeps its heartbeat key for a
 * while: three ticks without one is silence), not in standby, not refusing to lead; else why not.
 */
export function whyCannotLead(id: string, snapshot: ClusterSnapshot, renewIntervalMs: number): string | null {
  const node = snapshot.nodes.find((candidate) => candidate.id === id);
  if (!node || node.state === 'offline') return `${id} is offline`;
  if (snapshot.intent.standby.includes(id)) return `${id} is in standby`;
  if ((node.heartbeatAgeMs ?? Infinity) > 3 * renewIntervalMs) return `${id} has not sent a heartbeat lately`;
  if (node.heartbeat?.refusal) return `${id} refuses to lead: ${node.heartbeat.refusal}`;
  return null;
}

/** The first node in node order, other than `self`, that could lead now: it gets the first turn after a release. */
export function successorOf(self: string, snapshot: ClusterSnapshot, renewIntervalMs: number): string | undefined {
  return snapshot.nodes.find((node) => node.id !== self && whyCannotLead(node.id, snapshot, renewIntervalMs) === null)
    ?.id;
}
