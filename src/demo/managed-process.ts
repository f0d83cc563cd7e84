import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcessOptions {
  /** What the demo calls it in its output, e.g. `stg1` or `lock member 127.0.0.1:40001`. */
  name: string;
  command: string;
  args: readonly string[];
  /** Standard output and error are appended here. */
  logPath: string;
  /** The working folder (default: the demo's). */
  cwd?: string;
  /** Called when the process exits before stop() was asked for (a crash, or an operator's kill -9). */
  onUnexpectedExit: (process: ManagedProcess, exit: ProcessExit) => void;
}

/**
 * A child process the demo started and must stop. It runs in a process group of its own (detached), so a Ctrl-C
 * in the terminal reaches the demo alone and the demo stops its children in order: agents first, so the leader can
 * still release its lease on the lock members, then the Redis servers.
 */
export class ManagedProcess {
  readonly exited: Promise<ProcessExit>;
  private stopRequested = false;

  private constructor(
    readonly name: string,
    readonly pid: number,
    private readonly child: ChildProcess,
    onUnexpectedExit: ManagedProcessOptions['onUnexpectedExit'],
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        const exit = { code, signal };
        if (!this.stopRequested) onUnexpectedExit(this, exit);
        resolve(exit);
      }),
    );
  }

  /** Starts the process; rejects when it cannot be started at all (e.g. the executable is missing). */
  static async spawn(options: ManagedProcessOptions): Promise<ManagedProcess> {
    const log = openSync(options.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(options.command, options.args, { stdio: ['ignore', log, log], detached: true, cwd: options.cwd });
    } finally {
      closeSync(log); // the child holds its own copy of the descriptor
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) =>
        reject(new Error(`could not start ${options.name} (${options.command}): ${error.message}`)),
      );
    });
    return new ManagedProcess(options.name, child.pid!, child, options.onUnexpectedExit);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Sends `signal` to this PID (never to a group or a name), waits up to `graceMs` for the exit, then sends SIGKILL
   * and waits for that exit too. Resolves with how it ended; at once when the process had already exited.
   */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<'exited' | 'killed' | 'already gone'> {
    this.stopRequested = true;
    if (!this.running) return 'already gone';
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'exited') return 'exited';
    this.child.kill('SIGKILL');
    await this.exited;
    return 'killed';
  }
}

/** `exit code 78` or `killed by SIGKILL`. */
export function describeExit(exit: ProcessExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}
