import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpuSeconds } from './measure.js';

/*
 * SIPp in the benchmarks (sip-register, sip-calls): running it with its CPU time sampled, and reading its results
 * (the final statistics screen, the per-second `-trace_stat` file).
 */

export interface SippRun {
  /** The tail of its output (the final screen) and the CPU seconds it used (sampled), once it ends. */
  readonly done: Promise<{ output: string; cpuSeconds: number }>;
  /** Ends it (SIGKILL, by its PID): a SIPp server whose peer is done may wait tens of seconds for stray messages. */
  stop(): void;
}

export function runSipp(args: string[], cwd: string): SippRun {
  const child = spawn('sipp', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<{ output: string; cpuSeconds: number }>((resolve, reject) => {
    let out = '';
    let used = 0;
    const sample = setInterval(() => {
      try {
        used = cpuSeconds(child.pid!);
      } catch {
        // exited between two samples
      }
    }, 250);
    const keep = (chunk: Buffer) => {
      // Only the final screen matters; keep the tail so that memory stays small over long steps.
      out = (out + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => {
      clearInterval(sample);
      reject(error);
    });
    child.once('exit', () => {
      clearInterval(sample);
      resolve({ output: out, cpuSeconds: used });
    });
  });
  return {
    done,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * SIPp's `-trace_stat -fd 1` file: one row per second. Gives the seconds from its first row to its last, and the
 * median of the successful calls per whole second (the first and last seconds are partial, and so is a tail where
 * calls only finish).
 */
export function readSippStats(file: string): { seconds?: number; medianSuccessful?: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const [header, ...rows] = text.trim().split('\n');
  const columns = (header ?? '').split(';');
  const at = (name: string) => columns.indexOf(name);
  const [current, period, successful] = [at('CurrentTime'), at('ElapsedTime(P)'), at('SuccessfulCall(P)')];
  const cells = rows.map((row) => row.split(';'));
  // CurrentTime is "date<TAB>time<TAB>epoch".
  const epoch = (row: string[]) => Number(row[current]?.split('\t')[2]);
  const times = cells.map(epoch).filter(Number.isFinite);
  const whole = cells.filter((row) => row[period] === '00:00:01').map((row) => Number(row[successful]));
  const sorted = whole.sort((a, b) => a - b);
  return {
    seconds: times.length > 1 ? times.at(-1)! - times[0]! : undefined,
    medianSuccessful: sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)] : undefined,
  };
}

/** The cumulative column of a line of SIPp's final statistics screen ("Successful call", "Failed call"). */
export function sippCount(output: string, label: string): number {
  const match = new RegExp(`${label}\\s+\\|\\s+\\d+\\s+\\|\\s+(\\d+)`).exec(output);
  return match ? Number(match[1]) : 0;
}
