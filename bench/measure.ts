import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { waitFor } from '../test/helpers/wait.js';

/*
 * What the SIP benchmarks read about a process from /proc (its CPU time, its RSS, once it settled) and the
 * open-file limit that bounds how many flows can be held; their command-line options and percentiles.
 */

/** A positive number given on the command line as `NAME value`, else the fallback. */
export function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  const value = at >= 0 ? Number(args[at + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** The soft limit on open files of this process (the processes it starts inherit it). */
export function openFileLimit(): number {
  const line = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return line === undefined || line === 'unlimited' ? Infinity : Number(line);
}

export function rssMb(pid: number): number {
  return Math.round(rssKb(pid) / 1024);
}

export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU seconds used so far. */
export function cpuSeconds(pid: number): number {
  // /proc/<pid>/stat: fields 14 and 15 (utime, stime) after the command name in parentheses.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * RSS once it stopped moving (the process's GC has run after a burst): the last of 3 readings a second apart within
 * 1%. A GC cannot be triggered from outside, so waiting is the best there is.
 */
export async function settledRssKb(pid: number): Promise<number> {
  const readings: number[] = [];
  return waitFor(
    'the proxy RSS to settle',
    () => {
      readings.push(rssKb(pid));
      const last = readings.slice(-3);
      const spread = last.length === 3 ? Math.max(...last) / Math.min(...last) - 1 : 1;
      return spread < 0.01 ? last[2] : undefined;
    },
    { timeoutMs: 30_000, everyMs: 1_000 },
  );
}

/**
 * Waits until the process uses under `idleShare` of a core over a quarter second (5% by default; at most
 * `maxWaitMs`): the work of a previous step is done.
 */
export async function quiet(pid: number, { idleShare = 0.05, maxWaitMs = 60_000 } = {}): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const before = cpuSeconds(pid);
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (cpuSeconds(pid) - before < idleShare * 0.25 || Date.now() > deadline) return;
  }
}

/** The p-th percentile (0..1) of the values, by the nearest rank; undefined when there are none. */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;
