import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isLive, readProcStat } from './proc.js';

/** A process of ours, named so that a recycled PID is never mistaken for it: its PID and its start time. */
export interface PidRecord {
  pid: number;
  /** Field 22 of /proc/<pid>/stat when it was started. */
  startTime: string;
}

/** What a pidfile says about the process it names. */
export type PidfileState =
  | { state: 'absent' }
  | { state: 'invalid'; reason: string }
  /** Our process runs. */
  | { state: 'running'; record: PidRecord }
  /**
   * Our process exited (its PID is free, or held by its zombie). Members of its group may live on: the kernel keeps
   * a PID allocated while it names a process group, so a group with that number can still only be ours.
   */
  | { state: 'exited'; record: PidRecord }
  /** Another process has the PID now: neither it nor its group is ours to signal. */
  | { state: 'reused'; record: PidRecord };

/** The one line of a pidfile: `<pid> <start time>`. */
export function formatPidfile(record: PidRecord): string {
  return `${record.pid} ${record.startTime}\n`;
}

export function parsePidfile(text: string): PidRecord | undefined {
  const match = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (!match) return undefined;
  const pid = Number(match[1]);
  return Number.isSafeInteger(pid) && pid > 1 ? { pid, startTime: match[2]! } : undefined;
}

/** Writes the pidfile whole or not at all (a reader never sees half a line). */
export function writePidfile(path: string, record: PidRecord): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, formatPidfile(record));
  renameSync(temporary, path);
}

export function removePidfile(path: string): void {
  rmSync(path, { force: true });
}

/** Reads a pidfile and checks the process it names against /proc. */
export function inspectPidfile(path: string): PidfileState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    return { state: 'invalid', reason: `cannot read pidfile ${path}: ${(error as Error).message}` };
  }
  const record = parsePidfile(text);
  if (!record) {
    return {
      state: 'invalid',
      reason: `pidfile ${path} holds ${JSON.stringify(text.trim())}, not "<pid> <start time>"`,
    };
  }
  const stat = readProcStat(record.pid);
  if (stat === undefined) return { state: 'exited', record };
  if (stat.startTime !== record.startTime) return { state: 'reused', record };
  return { state: isLive(stat) ? 'running' : 'exited', record };
}
