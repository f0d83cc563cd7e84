import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ResourceDefinition } from '../config/schema.js';

/**
 * What the guard must know if the agent dies: the term this node leads and the leader-only resources that may be
 * running here (a resource is listed before it starts and unlisted once it stopped). Written atomically
 * (temporary file, then rename) so the guard never reads half a record.
 */
export interface LeadershipRecord {
  node: string;
  term: number;
  resources: ResourceDefinition[];
}

export function leadershipRecordPath(stateDir: string): string {
  return join(stateDir, 'leadership.json');
}

export function writeLeadershipRecord(path: string, record: LeadershipRecord): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, JSON.stringify(record));
  renameSync(temporary, path);
}

export function readLeadershipRecord(path: string): LeadershipRecord | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LeadershipRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function clearLeadershipRecord(path: string): void {
  rmSync(path, { force: true });
}

/** A floating address: the resource the guard removes itself when the agent dies (ARCHITECTURE.md, layer 2). */
export function isVip(resource: ResourceDefinition): boolean {
  return resource.kind === 'ocf' && (resource.agent ?? '').split('/').at(-1) === 'vip';
}
