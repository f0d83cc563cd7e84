import type { ControlPlane } from '../store/control-plane.js';

/** What the operator asked for that the scheduler must respect (clusterctl standby / maintenance / unmanage). */
export interface Intent {
  standby: string[];
  maintenance: boolean;
  unmanaged: string[];
}

export const NO_INTENT: Intent & { version: number } = Object.freeze({
  standby: [],
  maintenance: false,
  unmanaged: [],
  version: 0,
}) as Intent & { version: number };

export async function readIntent(plane: ControlPlane): Promise<Intent & { version: number }> {
  const stored = await plane.readLatest<Partial<Intent>>(plane.keys.intent);
  return { ...NO_INTENT, ...stored?.value, version: stored?.version ?? 0 };
}

/**
 * Read-modify-write of the intent by clusterctl; the version grows with time and past the stored one, so the newest
 * operator decision wins on every member.
 */
export async function changeIntent(
  plane: ControlPlane,
  change: (intent: Intent) => Intent,
): Promise<Intent & { version: number }> {
  const stored = await plane.readLatest<Partial<Intent>>(plane.keys.intent);
  const next = change({ ...NO_INTENT, ...stored?.value });
  const version = Math.max(Date.now(), (stored?.version ?? 0) + 1);
  await plane.versionedSet(plane.keys.intent, version, next);
  await plane.wakeAgents('intent');
  return { ...next, version };
}
