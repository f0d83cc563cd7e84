import { DEFAULT_TIMINGS } from '../../config/defaults.js';
import type { ClusterDefinition } from '../../config/schema.js';
import type { Session } from '../session.js';

/**
 * How long a command waits for its effect: a few lease ttls (a tick, a handover, an election) plus the longest
 * stop and start any resource may take. Past that the command reports it as not done.
 */
export async function commandBoundMs(session: Session): Promise<number> {
  const stored = await session.plane
    .readVersioned<ClusterDefinition>(session.plane.keys.definition)
    .catch(() => undefined);
  const definition = stored?.value;
  const ttl = definition?.timings?.leaseTtlMs ?? DEFAULT_TIMINGS.leaseTtlMs;
  const resources = definition?.resources ?? [];
  const longest = (pick: (timeouts: { startMs: number; stopMs: number }) => number) =>
    Math.max(0, ...resources.map((resource) => pick(resource.timeouts)));
  return 4 * ttl + longest((t) => t.stopMs) + longest((t) => t.startMs);
}
