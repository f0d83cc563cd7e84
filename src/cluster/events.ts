import type { ControlPlane } from '../store/control-plane.js';

/** Something an operator wants to see in `clusterctl events`: leadership, resources, commands. */
export interface ClusterEvent {
  /** ISO time. */
  at: string;
  node: string;
  kind: 'leader' | 'resource' | 'command' | 'node';
  message: string;
}

/** The stream keeps about this many events per member (a capped stream: XADD MAXLEN ~). */
const KEPT_EVENTS = 1000;

/**
 * Appends an event on every member. Events are for people, not for failover: a member that misses one only
 * makes the history shorter there, so errors are ignored and nothing waits on it.
 */
export function appendEvent(plane: ControlPlane, event: Omit<ClusterEvent, 'at'>): void {
  const fields = ['at', new Date().toISOString(), 'node', event.node, 'kind', event.kind, 'message', event.message];
  void plane.onAll((member) => member.client.xadd(plane.keys.events, 'MAXLEN', '~', KEPT_EVENTS, '*', ...fields));
}

/** The last `count` events, merged from every member that answers (duplicates removed), oldest first. */
export async function readEvents(plane: ControlPlane, count: number): Promise<ClusterEvent[]> {
  const answers = await plane.onAll((member) => member.client.xrevrange(plane.keys.events, '+', '-', 'COUNT', count));
  const seen = new Map<string, ClusterEvent>();
  for (const answer of answers) {
    if (!answer.ok) continue;
    for (const [, fields] of answer.value) {
      const event = toEvent(fields);
      seen.set(`${event.at}|${event.node}|${event.message}`, event);
    }
  }
  return [...seen.values()].sort((a, b) => a.at.localeCompare(b.at)).slice(-count);
}

/**
 * Calls onEvent for each new event, read from the first member that answers (blocking reads, no polling), until
 * the signal aborts. Another member takes over when that one fails.
 */
export async function followEvents(
  plane: ControlPlane,
  onEvent: (event: ClusterEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let lastId = '$';
  let index = 0;
  while (!signal.aborted) {
    const member = plane.members[index % plane.members.length]!;
    const reader = member.client.duplicate({
      commandTimeout: undefined,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
    });
    reader.on('error', () => undefined);
    signal.addEventListener('abort', () => reader.disconnect(), { once: true });
    try {
      while (!signal.aborted) {
        const reply = await reader.xread('BLOCK', 1000, 'STREAMS', plane.keys.events, lastId);
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            onEvent(toEvent(fields));
          }
        }
      }
    } catch {
      // This member failed: follow the next one from its newest event (stream ids differ between members).
      index += 1;
      lastId = '$';
    } finally {
      reader.disconnect();
    }
  }
}

function toEvent(fields: string[]): ClusterEvent {
  const value = (name: string) => fields[fields.indexOf(name) + 1] ?? '';
  return {
    at: value('at'),
    node: value('node'),
    kind: value('kind') as ClusterEvent['kind'],
    message: value('message'),
  };
}
