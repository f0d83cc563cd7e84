import { execa } from 'execa';
import { parseNsupdateFailure, type UpdateFailure } from './answer-code.js';

export interface NsupdateOptions {
  keyFile: string;
  timeoutMs: number;
  /** Kills a running nsupdate (the updater closing). */
  signal?: AbortSignal;
  /** The executable; tests and odd installs may point elsewhere. */
  command?: string;
}

/** Runs one nsupdate script; undefined on success, else what failed. Never throws. Injectable for tests. */
export type NsupdateRunner = (script: string, options: NsupdateOptions) => Promise<UpdateFailure | undefined>;

/** Grace after nsupdate's own timeout before we kill it: it normally ends itself and says why. */
const KILL_GRACE_MS = 1_000;

/**
 * Runs Debian's nsupdate (bind9-dnsutils) with the script on stdin: `-k` signs with the TSIG key FILE (a secret
 * on the command line would show in `ps`), `-v` sends over TCP (a refused connection shows at once, no UDP
 * retries to wait out), `-t` bounds the update in whole seconds. Our own kill, a little later, bounds the rest.
 */
export const runNsupdate: NsupdateRunner = async (script, { keyFile, timeoutMs, signal, command = 'nsupdate' }) => {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const result = await execa(command, ['-k', keyFile, '-v', '-t', String(seconds)], {
    input: script,
    reject: false,
    all: true,
    timeout: seconds * 1000 + KILL_GRACE_MS,
    killSignal: 'SIGKILL',
    ...(signal ? { cancelSignal: signal } : {}),
    env: { LC_ALL: 'C' }, // the messages parsed in answer-code.ts are the untranslated ones
  });
  if (result.exitCode === 0 && !result.failed) return undefined;
  if (result.isCanceled) return { kind: 'internal', reason: 'nsupdate cancelled: the updater is closing' };
  if (result.timedOut) {
    return {
      kind: 'timeout',
      reason: `nsupdate gave no result within ${seconds * 1000 + KILL_GRACE_MS} ms and was killed`,
    };
  }
  const spawnCode = (result as { code?: unknown }).code;
  if (result.exitCode === undefined && typeof spawnCode === 'string' && spawnCode !== 'ETIMEDOUT') {
    return { kind: 'internal', reason: `cannot run ${command}: ${spawnCode} (is bind9-dnsutils installed?)` };
  }
  return parseNsupdateFailure(String(result.all ?? ''), result.exitCode);
};
