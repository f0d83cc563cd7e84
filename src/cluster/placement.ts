import type { ControlPlane } from '../store/control-plane.js';
import type { SchedulerOutput } from '../scheduler/types.js';

/** The desired placement as the leader publishes it, with the term that computed it. */
export interface PlacementDocument extends SchedulerOutput {
  term: number;
  leader: string;
}

export async function readPlacement(
  plane: ControlPlane,
): Promise<{ version: number; document: PlacementDocument } | undefined> {
  const stored = await plane.readVersioned<PlacementDocument>(plane.keys.placement);
  return stored ? { version: stored.version, document: stored.value } : undefined;
}

/** Two placements say the same thing (the leader writes only when something changed). */
export function samePlacement(a: PlacementDocument | undefined, b: PlacementDocument): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
