import { execa } from 'execa';

/** How a short-lived command (an OCF action, a systemctl call) ended. */
export interface CommandOutcome {
  /** The exit code, or undefined when the command did not exit by itself (killed, or never started). */
  exitCode: number | undefined;
  /** The signal that ended it (SIGKILL after a timeout), or undefined. */
  signal: string | undefined;
  stdout: string;
  stderr: string;
  /** It ran past its timeout and was killed with its process group. */
  timedOut: boolean;
  /** The errno code (ENOENT, EACCES) when the command could not be started at all. */
  spawnError: string | undefined;
}

export interface CommandOptions {
  timeoutMs: number;
  /** Added to this process's environment. */
  env?: Record<string, string>;
}

/** Runs a command to completion; never throws for the command's own failure. Injectable for tests. */
export type CommandRunner = (file: string, args: readonly string[], options: CommandOptions) => Promise<CommandOutcome>;

/**
 * Runs a command in its own process group, bounded by `timeoutMs`. execa's timeout kills the command alone: what
 * it started (a `sleep`, a helper) would live on and keep our pipes open, so the whole group is killed at the same
 * moment. A command that exited with a code of its own keeps that code even if leftovers of it were killed.
 */
export const runCommand: CommandRunner = async (file, args, { timeoutMs, env = {} }) => {
  const subprocess = execa(file, args, {
    reject: false,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    detached: true,
    stdin: 'ignore',
    env,
  });
  let groupKilled = false;
  const groupTimer = setTimeout(() => {
    groupKilled = killGroup(subprocess.pid, 'SIGKILL');
  }, timeoutMs);
  try {
    const result = await subprocess;
    const exitCode = typeof result.exitCode === 'number' ? result.exitCode : undefined;
    const spawnError = exitCode === undefined && !result.signal && !result.timedOut ? errorCode(result) : undefined;
    return {
      exitCode,
      signal: result.signal,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      timedOut: result.timedOut || (groupKilled && exitCode === undefined),
      spawnError,
    };
  } finally {
    clearTimeout(groupTimer);
  }
};

/** Signals a process group; false when it no longer exists (or never did). */
export function killGroup(pgid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pgid === undefined || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function errorCode(result: object): string {
  const code = (result as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}
