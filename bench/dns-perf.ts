import { spawn } from 'node:child_process';

/** What one dnsperf run printed, parsed. */
export interface DnsperfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  averageMs: number;
  maxMs: number;
  /** Each query's latency (ms), only with `verbose` (dnsperf -v prints one line per query). */
  latenciesMs: number[];
  codes: string;
}

export interface DnsperfOptions {
  port: number;
  dataFile: string;
  seconds: number;
  /** dnsperf -Q: queries per second at most (a fixed load for latency); unlimited when absent. */
  maxQps?: number;
  clients?: number;
  outstanding?: number;
  verbose?: boolean;
}

/** Runs dnsperf against 127.0.0.1 (UDP, EDNS off as most stub resolvers' first try); bounded by its -l. */
export async function dnsperf(options: DnsperfOptions): Promise<DnsperfResult> {
  const args = [
    '-s',
    '127.0.0.1',
    '-p',
    String(options.port),
    '-d',
    options.dataFile,
    '-l',
    String(options.seconds),
    '-c',
    String(options.clients ?? 4),
    '-q',
    String(options.outstanding ?? 200),
    '-t',
    '2',
    ...(options.maxQps ? ['-Q', String(options.maxQps)] : []),
    ...(options.verbose ? ['-v'] : []),
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('dnsperf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (options.seconds + 30) * 1000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(new Error(`dnsperf ${args.join(' ')} exited ${code}: ${errors.trim()}`));
    });
  });
  const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? NaN);
  return {
    sent: number(/Queries sent:\s+(\d+)/),
    completed: number(/Queries completed:\s+(\d+)/),
    lost: number(/Queries lost:\s+(\d+)/),
    qps: number(/Queries per second:\s+([\d.]+)/),
    averageMs: number(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    maxMs: number(/Average Latency \(s\):.*max ([\d.]+)\)/) * 1000,
    latenciesMs: options.verbose
      ? [...output.matchAll(/^> \w+ \S+ \S+ ([\d.]+)$/gm)].map((match) => Number(match[1]) * 1000)
      : [],
    codes: /Response codes:\s+(.*)/.exec(output)?.[1]?.trim() ?? '',
  };
}

/** The q-quantile of a sample (nearest rank), rounded to 0.01 ms. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const value = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  return Math.round(value * 100) / 100;
}
