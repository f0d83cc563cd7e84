/**
 * How long this machine was stalled in a time window: it is a VM sharing its host, and a test timing the kernel by
 * the wall clock cannot tell the kernel's own delay from a while in which the host did not run the VM (or the VM's
 * CPUs were all taken). Two views, the larger counts:
 *  - a ticker process writing the wall time every TICK_MS: a gap beyond GAP_NOISE_MS is time it was ready and not
 *    run;
 *  - the CPUs' steal time (/proc/stat): time a virtual CPU was ready to run and the host ran something else.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { waitFor } from './wait.js';

const TICK_MS = 5;
/** A late tick below this is ordinary scheduling, not a stall. */
const GAP_NOISE_MS = 25;
/** USER_HZ: the unit of /proc/stat (100 on every Linux architecture Node runs on). */
const STAT_TICK_MS = 10;

export interface HostStalls {
  /** Milliseconds of [fromMs, toMs] (wall clock, in the past) in which the host did not run this VM's processes. */
  stalledMs(fromMs: number, toMs: number): Promise<number>;
  stop(): void;
}

/** Per-CPU steal time, in ms. */
function stealByCpu(): number[] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((line) => /^cpu\d+ /.test(line))
    .map((line) => Number(line.trim().split(/\s+/)[8] ?? 0) * STAT_TICK_MS);
}

/**
 * Starts measuring; resolves once the ticker ticks (its own start is no stall). The steal part covers from then to
 * each stalledMs() call.
 */
export async function measureHostStalls(): Promise<HostStalls> {
  const ticks: number[] = [];
  const ticker = spawn(
    process.execPath,
    ['-e', `setInterval(() => process.stdout.write(Date.now() + '\\n'), ${TICK_MS})`],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let buffer = '';
  ticker.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) ticks.push(Number(line));
  });
  await waitFor('the stall ticker to tick', () => ticks.length > 0, { timeoutMs: 10_000, everyMs: 10 });
  const stealAtStart = stealByCpu();
  return {
    async stalledMs(fromMs, toMs) {
      await waitFor('the stall ticker to pass the window', () => ticks.at(-1)! >= toMs, {
        timeoutMs: 5000,
        everyMs: 10,
      });
      let gaps = 0;
      for (let i = 1; i < ticks.length; i++) {
        const start = Math.max(ticks[i - 1]!, fromMs);
        const end = Math.min(ticks[i]!, toMs);
        if (end > start && ticks[i]! - ticks[i - 1]! > GAP_NOISE_MS) gaps += end - start;
      }
      const steal = Math.max(0, ...stealByCpu().map((ms, cpu) => ms - (stealAtStart[cpu] ?? ms)));
      return Math.round(Math.max(gaps, steal));
    },
    stop() {
      ticker.kill('SIGKILL');
    },
  };
}
