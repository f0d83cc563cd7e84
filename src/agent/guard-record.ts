import type { ClusterDefinition, ResourceDefinition } from '../config/schema.js';
import {
  clearLeadershipRecord,
  isVip,
  writeLeadershipRecord,
  type LeadershipRecord,
} from '../guard/leadership-record.js';

/** The guard that started this agent (stg-guard sets it), if any. */
const GUARD_PID = Number(process.env['STG_GUARD_PID'] ?? 0) || undefined;

/**
 * Why this agent may not lead for want of its guard, or null. An agent that may hold a VIP never leads without
 * the guard that removes it if the agent dies; an agent started by a guard stops leading once that guard is gone
 * (it was re-parented: nobody would clean up after it).
 */
export function guardRefusal(definition: ClusterDefinition): string | null {
  if (GUARD_PID !== undefined && process.ppid !== GUARD_PID) return `its guard (pid ${GUARD_PID}) is gone`;
  if (GUARD_PID === undefined && definition.resources.some(isVip)) {
    return 'no guard: an agent that may hold a VIP runs under stg-guard';
  }
  return null;
}

/**
 * Keeps the guard's record of this node's leadership up to date: a leader-only resource is listed before it
 * starts and unlisted after it stopped, so whatever the moment of the agent's death, the guard knows what may run.
 */
export class GuardRecord {
  private record: LeadershipRecord | undefined;

  constructor(
    private readonly node: string,
    private readonly path: string,
  ) {
    // A record left by an agent that died is the guard's to read; a new agent starts from nothing.
  }

  /** This node now leads `term`: with no leader-only resource running yet, the guard may release at once. */
  leading(term: number): void {
    this.record = { node: this.node, term, resources: [] };
    writeLeadershipRecord(this.path, this.record);
  }

  /** Leadership is over and every leader-only resource stopped: nothing for the guard to do. */
  clear(): void {
    this.record = undefined;
    clearLeadershipRecord(this.path);
  }

  starting(term: number, resource: ResourceDefinition): void {
    const current = this.record?.term === term ? this.record : { node: this.node, term, resources: [] };
    if (current.resources.some((known) => known.id === resource.id)) return;
    this.record = { ...current, resources: [...current.resources, resource] };
    writeLeadershipRecord(this.path, this.record);
  }

  stopped(resource: ResourceDefinition): void {
    if (!this.record?.resources.some((known) => known.id === resource.id)) return;
    this.record = { ...this.record, resources: this.record.resources.filter((known) => known.id !== resource.id) };
    writeLeadershipRecord(this.path, this.record);
  }
}
