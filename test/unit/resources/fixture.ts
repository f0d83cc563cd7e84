import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ExecutionContext } from 'ava';
import type { ResourceDefinition } from '../../../src/config/schema.js';
import type { Logger } from '../../../src/log.js';
import { BUNDLED_AGENTS_DIR } from '../../../src/resources/driver.js';
import { isLive, readProcStat } from '../../../src/resources/proc.js';
import type { ResourceContext } from '../../../src/resources/types.js';

/** A resource definition as the schema would give it, defaults filled in. */
export function resource(
  fields: Pick<ResourceDefinition, 'id' | 'kind'> & Partial<ResourceDefinition>,
): ResourceDefinition {
  return {
    params: {},
    placement: 'every-node',
    after: [],
    timeouts: { startMs: 20_000, stopMs: 20_000, monitorMs: 10_000 },
    monitorIntervalMs: 10_000,
    migrationThreshold: 3,
    failureTimeoutMs: 600_000,
    ...fields,
  };
}

/** One parsed pino line. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A debug-level logger whose lines the test can read. */
export function capturingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}

/** A temporary folder removed when the test ends. */
export function temporaryDir(t: ExecutionContext, prefix = 'stg-resources-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A context on node `stg1` with a fresh state folder and a capturing logger. */
export function testContext(
  t: ExecutionContext,
  overrides: Partial<ResourceContext> = {},
): ResourceContext & { lines: LogLine[] } {
  const { log, lines } = capturingLogger();
  return {
    node: 'stg1',
    term: undefined,
    stateDir: temporaryDir(t, 'stg-state-'),
    resourceAgentsDir: BUNDLED_AGENTS_DIR,
    log,
    lines,
    ...overrides,
  };
}

/** Whether a PID is a live process (a zombie is not: this container's PID 1 may never reap it). */
export function isAlive(pid: number): boolean {
  return isLive(readProcStat(pid));
}

/** Kills a process the test started, if it still lives (for t.teardown). */
export function killIfAlive(pid: number | undefined, group = false): void {
  if (pid === undefined) return;
  try {
    process.kill(group ? -pid : pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
