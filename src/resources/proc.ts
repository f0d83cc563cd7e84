import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat that tell a live process of ours from a dead one or a stranger. */
export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie: exited, not yet reaped), T, ... */
  state: string;
  /** The process group. */
  pgrp: number;
  /** Field 22: clock ticks after boot when the process started. A PID and its start time name a process uniquely. */
  startTime: string;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may hold spaces and parentheses of its
 * own, so the fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 of the file, so field N is fields[N - 3].
  const [state, pgrp, startTime] = [fields[0], fields[5 - 3], fields[22 - 3]];
  if (!Number.isSafeInteger(pid) || state === undefined || pgrp === undefined || startTime === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(startTime) || !/^-?\d+$/.test(pgrp)) return undefined;
  return { pid, state, pgrp: Number(pgrp), startTime };
}

/** The process's stat, or undefined when no process has that PID (or /proc cannot say). */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether a stat describes a running process: a zombie has exited, whoever has yet to reap it. */
export function isLive(stat: ProcStat | undefined): stat is ProcStat {
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** The live (non-zombie) members of a process group. */
export function liveGroupMembers(pgid: number): number[] {
  try {
    // Cheap first: no process at all in the group (the usual answer once a stop worked).
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return [];
  }
  // Zombies still count for kill(); a container's PID 1 may never reap them, so ask /proc.
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat?.pgrp === pgid && isLive(stat)) members.push(stat.pid);
  }
  return members;
}
