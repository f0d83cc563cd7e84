import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourceDefinition } from '../config/schema.js';
import type { Logger } from '../log.js';
import { killGroup } from './command.js';
import { inspectPidfile, removePidfile, writePidfile, type PidfileState } from './pidfile.js';
import { liveGroupMembers, readProcStat } from './proc.js';
import { logOutcome, OCF_EXIT_CODE, operationResult, splitLines } from './result.js';
import type { Operation, OperationResult, ResourceContext, ResourceDriver } from './types.js';

export interface ProcessDriverOptions {
  /** How long start watches a new process for an immediate exit (at most the start timeout). Default 100 ms. */
  settleMs?: number;
}

const DEFAULT_SETTLE_MS = 100;
/** How often stop checks whether the process group is gone. */
const POLL_MS = 25;
/** How many lines of its log explain a process that exited at once. */
const REASON_LOG_LINES = 5;

/** Where a process resource keeps its pidfile and its log, below the agent's state folder. */
export function processPaths(stateDir: string, id: string): { dir: string; pidfile: string; logFile: string } {
  const dir = join(stateDir, 'resources');
  return { dir, pidfile: join(dir, `${id}.pid`), logFile: join(dir, `${id}.log`) };
}

/**
 * Runs one of our daemons as a supervised process: its own process group (a stop reaches its children), its own
 * log file, and a pidfile naming it by PID and start time. The pidfile is the only state, so a restarted agent (a
 * new driver on the same state folder) adopts a running process instead of restarting it. The command must stay in
 * the foreground: a daemon that forks itself away looks like a process that exited at once.
 */
export class ProcessDriver implements ResourceDriver {
  /** PIDs this instance is stopping: their exit is expected, not a crash to warn about. */
  private readonly stopping = new Set<number>();

  constructor(
    readonly resource: ResourceDefinition,
    private readonly options: ProcessDriverOptions = {},
  ) {}

  async monitor(context: ResourceContext): Promise<OperationResult> {
    const startedAt = performance.now();
    const { pidfile } = processPaths(context.stateDir, this.resource.id);
    const [rc, reason] = monitorAnswer(inspectPidfile(pidfile));
    return this.finish('monitor', context, operationResult('monitor', rc, reason, startedAt));
  }

  async start(context: ResourceContext): Promise<OperationResult> {
    const startedAt = performance.now();
    const paths = processPaths(context.stateDir, this.resource.id);
    const found = inspectPidfile(paths.pidfile);
    if (found.state === 'running') {
      return this.finish('start', context, operationResult('start', OCF_EXIT_CODE.SUCCESS, '', startedAt));
    }
    if (found.state === 'invalid') {
      // Starting a second copy of something we cannot identify is worse than failing: stop clears the way.
      return this.finish(
        'start',
        context,
        operationResult('start', OCF_EXIT_CODE.ERR_GENERIC, found.reason, startedAt),
      );
    }
    if (found.state === 'exited') killGroup(found.record.pid, 'SIGKILL'); // leftovers of a crash
    removePidfile(paths.pidfile);

    mkdirSync(paths.dir, { recursive: true });
    const [file = '', ...args] = this.resource.command ?? [];
    const launched = await this.launch(file, args, paths.logFile, context);
    if ('error' in launched) {
      const rc = launched.error === 'ENOENT' ? OCF_EXIT_CODE.ERR_INSTALLED : OCF_EXIT_CODE.ERR_GENERIC;
      const reason = `cannot execute ${file}: ${launched.error}`;
      return this.finish('start', context, operationResult('start', rc, reason, startedAt));
    }
    const { child, pid, logOffset } = launched;
    const stat = readProcStat(pid);
    if (stat) writePidfile(paths.pidfile, { pid, startTime: stat.startTime });

    const exit = await this.settle(
      child,
      Math.min(this.options.settleMs ?? DEFAULT_SETTLE_MS, this.resource.timeouts.startMs),
    );
    if (exit || !stat) {
      removePidfile(paths.pidfile);
      killGroup(pid, 'SIGKILL'); // whatever it started before it died
      const how = exit?.signal ? `was killed by ${exit.signal}` : `exited with code ${exit?.code ?? 'unknown'}`;
      const lines = tailLines(paths.logFile, logOffset, REASON_LOG_LINES);
      const reason = `process ${pid} ${how} at once${lines.length ? `: ${lines.join(' | ')}` : ''}`;
      return this.finish('start', context, operationResult('start', OCF_EXIT_CODE.ERR_GENERIC, reason, startedAt));
    }
    this.watch(child, pid, context.log.child({ resource: this.resource.id }));
    return this.finish('start', context, operationResult('start', OCF_EXIT_CODE.SUCCESS, '', startedAt));
  }

  async stop(context: ResourceContext): Promise<OperationResult> {
    const startedAt = performance.now();
    const { pidfile } = processPaths(context.stateDir, this.resource.id);
    const found = inspectPidfile(pidfile);
    const done = (rc: number, reason: string) =>
      this.finish('stop', context, operationResult('stop', rc, reason, startedAt));
    if (found.state === 'absent') return done(OCF_EXIT_CODE.SUCCESS, '');
    if (found.state === 'invalid' || found.state === 'reused') {
      removePidfile(pidfile);
      const reason =
        found.state === 'invalid'
          ? `${found.reason}: removed, nothing signalled`
          : `process ${found.record.pid} had exited; its PID is another process's now, left alone`;
      return done(OCF_EXIT_CODE.SUCCESS, reason);
    }

    const pgid = found.record.pid;
    const stopMs = this.resource.timeouts.stopMs;
    const deadline = startedAt + stopMs;
    this.stopping.add(pgid);
    try {
      if (found.state === 'running') {
        killGroup(pgid, 'SIGTERM');
        // Most of the budget is the grace for a clean exit; the rest is for SIGKILL to take effect.
        await waitGroupGone(pgid, startedAt + (stopMs * 3) / 4);
      }
      if (liveGroupMembers(pgid).length > 0) killGroup(pgid, 'SIGKILL');
      const survivors = await waitGroupGone(pgid, deadline);
      if (survivors.length > 0) {
        return done(OCF_EXIT_CODE.ERR_GENERIC, `process group ${pgid} survived SIGKILL: ${survivors.join(', ')}`);
      }
    } finally {
      this.stopping.delete(pgid);
    }
    removePidfile(pidfile);
    return done(OCF_EXIT_CODE.SUCCESS, '');
  }

  /** A process resource has nothing to validate beyond what the configuration schema already checked. */
  async validate(context: ResourceContext): Promise<OperationResult> {
    const startedAt = performance.now();
    const ok = (this.resource.command?.length ?? 0) > 0;
    const reason = ok ? '' : 'no command to run';
    return this.finish(
      'validate-all',
      context,
      operationResult('validate-all', ok ? OCF_EXIT_CODE.SUCCESS : OCF_EXIT_CODE.ERR_CONFIGURED, reason, startedAt),
    );
  }

  /** Spawns the command in a new session (its own process group), output appended to its log file. */
  private async launch(
    file: string,
    args: string[],
    logFile: string,
    context: ResourceContext,
  ): Promise<{ child: ChildProcess; pid: number; logOffset: number } | { error: string }> {
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    let logOffset: number;
    try {
      writeSync(fd, `--- ${new Date().toISOString()} ${context.node}: starting ${JSON.stringify([file, ...args])}\n`);
      logOffset = fstatSync(fd).size;
      child = spawn(file, args, {
        detached: true,
        stdio: ['ignore', fd, fd],
        // The daemon inherits the agent's environment, plus its parameters.
        env: { ...process.env, ...this.resource.params },
      });
    } finally {
      closeSync(fd); // the child has its own copy once spawn returns
    }
    if (child.pid === undefined) {
      const error = await new Promise<NodeJS.ErrnoException>((resolve) => child.once('error', resolve));
      return { error: error.code ?? error.message };
    }
    return { child, pid: child.pid, logOffset };
  }

  /** Resolves with the exit of the child if it comes within `ms`, else undefined. */
  private settle(child: ChildProcess, ms: number): Promise<{ code: number | null; signal: string | null } | undefined> {
    if (child.exitCode !== null || child.signalCode !== null) {
      return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    }
    return new Promise((resolve) => {
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        resolve({ code, signal });
      };
      const timer = setTimeout(() => {
        child.off('exit', onExit);
        resolve(undefined);
      }, ms);
      child.once('exit', onExit);
    });
  }

  /** Lets the agent exit without its child, and says so when the child dies while this agent still runs. */
  private watch(child: ChildProcess, pid: number, log: Logger): void {
    child.once('exit', (code, signal) => {
      if (this.stopping.has(pid)) log.info({ pid, code, signal }, `process ${pid} exited on stop`);
      else log.warn({ pid, code, signal }, `process ${pid} exited (${signal ?? `code ${code}`}) unasked`);
    });
    child.unref();
  }

  private finish(operation: Operation, context: ResourceContext, result: OperationResult): OperationResult {
    logOutcome(context.log.child({ resource: this.resource.id, operation }), result);
    return result;
  }
}

/** The monitor's code and reason for what the pidfile says. */
function monitorAnswer(found: PidfileState): [number, string] {
  switch (found.state) {
    case 'absent':
      return [OCF_EXIT_CODE.NOT_RUNNING, ''];
    case 'running':
      return [OCF_EXIT_CODE.SUCCESS, ''];
    // A dead process keeps its pidfile: every monitor reports the failure until a stop cleans up.
    case 'exited':
      return [OCF_EXIT_CODE.ERR_GENERIC, `process ${found.record.pid} exited`];
    case 'reused':
      return [OCF_EXIT_CODE.ERR_GENERIC, `process ${found.record.pid} exited (its PID is another process's now)`];
    case 'invalid':
      return [OCF_EXIT_CODE.ERR_GENERIC, found.reason];
  }
}

/** Waits until no live process is left in the group, or the deadline (performance.now() time); the survivors. */
async function waitGroupGone(pgid: number, deadline: number): Promise<number[]> {
  for (;;) {
    const members = liveGroupMembers(pgid);
    if (members.length === 0 || performance.now() >= deadline) return members;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - performance.now()))));
  }
}

/** The last `count` non-empty lines written to a log file after `offset` (reads at most its last 8 KiB). */
function tailLines(path: string, offset: number, count: number): string[] {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const from = Math.max(offset, size - 8192);
    const buffer = Buffer.alloc(Math.max(0, size - from));
    readSync(fd, buffer, 0, buffer.length, from);
    return splitLines(buffer.toString('utf8')).slice(-count);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
