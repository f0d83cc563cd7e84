import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { killGroup } from '../resources/command.js';
import { inspectPidfile, removePidfile } from '../resources/pidfile.js';
import { liveGroupMembers } from '../resources/proc.js';

/** A process resource an agent of the demo started, as its pidfile names it. */
export interface ResourceProcess {
  node: string;
  /** The resource id: the pidfile's name without `.pid`. */
  resource: string;
  pid: number;
  pidfile: string;
}

const POLL_MS = 25;

/**
 * The process resources the nodes' pidfiles name (`<resourcesDir>/<id>.pid`, first field the PID, the leader of the
 * process's own group). A pidfile that cannot be read or parsed is skipped (its process cannot be identified), and
 * so is one whose PID another process holds by now (the start time differs).
 */
export function findResourceProcesses(nodes: readonly { node: string; resourcesDir: string }[]): ResourceProcess[] {
  const found: ResourceProcess[] = [];
  for (const { node, resourcesDir } of nodes) {
    let entries: string[];
    try {
      entries = readdirSync(resourcesDir);
    } catch {
      continue; // no process resource started on this node yet
    }
    for (const entry of entries.filter((name) => name.endsWith('.pid')).sort()) {
      const pidfile = join(resourcesDir, entry);
      const state = inspectPidfile(pidfile);
      // Running, or exited with members of its group possibly left; a PID that is another process's now is not ours.
      if (state.state !== 'running' && state.state !== 'exited') continue;
      found.push({ node, resource: entry.slice(0, -'.pid'.length), pid: state.record.pid, pidfile });
    }
  }
  return found;
}

/**
 * Stops process resources the way the process driver does, once their agents are gone (an agent leaves its process
 * resources running on purpose: a restarted agent adopts them). Each process group gets SIGTERM, then SIGKILL
 * after `graceMs`; then its pidfile is removed, so a later demo on the same folder finds no stale pidfile. A PID
 * that belongs to another process by now (its start time differs) is left alone. Returns one line per process that
 * needed more than a SIGTERM, or that could not be stopped.
 */
export async function stopResourceProcesses(
  processes: readonly ResourceProcess[],
  graceMs: number,
  killWaitMs: number,
): Promise<string[]> {
  const notes: string[] = [];
  await Promise.all(
    processes.map(async (found) => {
      const name = `${found.resource} on ${found.node} (pid ${found.pid})`;
      const state = inspectPidfile(found.pidfile);
      if (state.state === 'absent') return; // already stopped and cleaned up (by its agent)
      if (state.state === 'invalid' || state.state === 'reused' || state.record.pid !== found.pid) {
        notes.push(`${name}: its pidfile no longer names it; left alone`);
        return;
      }
      const pgid = found.pid;
      killGroup(pgid, 'SIGTERM');
      if ((await waitGroupGone(pgid, graceMs)).length > 0) {
        killGroup(pgid, 'SIGKILL');
        const survivors = await waitGroupGone(pgid, killWaitMs);
        if (survivors.length > 0) {
          notes.push(`${name}: process group survived SIGKILL: ${survivors.join(', ')}`);
          return;
        }
        notes.push(`${name} ignored SIGTERM for ${graceMs} ms: killed`);
      }
      removePidfile(found.pidfile);
    }),
  );
  return notes;
}

/** Waits up to `ms` for no live process to be left in the group; resolves with the survivors. */
async function waitGroupGone(pgid: number, ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const members = liveGroupMembers(pgid);
    if (members.length === 0 || Date.now() >= deadline) return members;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
