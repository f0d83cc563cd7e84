import type { Logger } from '../log.js';
import { OCF_EXIT, type Operation, type OperationResult } from './types.js';

/** The prefix of the line an agent writes to stderr to say why it returned its code (Pacemaker's convention). */
export const EXIT_REASON_PREFIX = 'ocf-exit-reason:';

/** How many lines of an agent's output a failure's warning carries (the rest stays at debug level). */
const OUTPUT_LINES_ON_FAILURE = 20;

/** The name operators know for an exit code (OCF_NOT_RUNNING), or `rc N` for a code outside the OCF table. */
export function rcName(rc: number): string {
  return Object.hasOwn(OCF_EXIT, rc) ? OCF_EXIT[rc as keyof typeof OCF_EXIT] : `rc ${rc}`;
}

/** The reason of the last `ocf-exit-reason:` line of an agent's stderr (trimmed), or '' when it gave none. */
export function exitReason(stderr: string): string {
  let reason = '';
  for (const line of splitLines(stderr)) {
    const trimmed = line.trimStart();
    if (trimmed.startsWith(EXIT_REASON_PREFIX)) reason = trimmed.slice(EXIT_REASON_PREFIX.length).trim();
  }
  return reason;
}

/** The non-empty lines of a command's output. */
export function splitLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

/** Whether an operation ended as the caller hoped: 0, or 7 for a monitor (cleanly stopped is an answer). */
export function succeeded(operation: Operation, rc: number): boolean {
  return rc === OCF_EXIT_CODE.SUCCESS || (operation === 'monitor' && rc === OCF_EXIT_CODE.NOT_RUNNING);
}

/** The OCF codes by name, for code that sets them (the table in types.ts maps the other way). */
export const OCF_EXIT_CODE = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
} as const;

export function operationResult(
  operation: Operation,
  rc: number,
  reason: string,
  startedAt: number,
  timedOut = false,
): OperationResult {
  return { operation, rc, rcName: rcName(rc), reason, timedOut, durationMs: Math.round(performance.now() - startedAt) };
}

/**
 * Says what an operation did: its output lines at debug level, one line for the outcome. A failure is a warning
 * that carries the reason and the last lines of output, so nothing an agent said about a failure is lost at the
 * default level.
 */
export function logOutcome(
  log: Logger,
  result: OperationResult,
  output: { stdout?: string; stderr?: string } = {},
): void {
  const lines = [
    ...splitLines(output.stdout ?? '').map((line) => ({ stream: 'stdout', line })),
    ...splitLines(output.stderr ?? '').map((line) => ({ stream: 'stderr', line })),
  ];
  for (const { stream, line } of lines) log.debug({ stream }, line);
  const { operation, rc, rcName: name, reason, timedOut, durationMs } = result;
  if (succeeded(operation, rc)) {
    log.debug({ rc, rcName: name, durationMs }, `${operation}: ${name}${reason ? ` (${reason})` : ''}`);
    return;
  }
  const tail = lines.slice(-OUTPUT_LINES_ON_FAILURE).map(({ stream, line }) => `${stream}: ${line}`);
  log.warn(
    { rc, rcName: name, reason, timedOut, durationMs, output: tail },
    `${operation} failed: ${name}${reason ? `: ${reason}` : ''}`,
  );
}
