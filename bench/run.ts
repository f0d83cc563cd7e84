import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench -- NAME [options]`: runs one benchmark, prints its figures, records them in bench/RESULTS.md with
 * the machine and the command, and prints one JSON object with them as the last line.
 */
export interface BenchResult {
  /** Human-readable lines. */
  lines: string[];
  /** The figures, as the last line's JSON object (always with "bench": NAME). */
  figures: Record<string, unknown>;
}

const RESULTS = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
const [name, ...args] = process.argv.slice(2);
const known = [
  'election-local',
  'failover-local',
  'failover-netns',
  'dns',
  'push-send',
  'sip-register',
  'sip-calls',
  'sip-tls-flows',
  'push-wakeup',
];
if (!name || !known.includes(name)) {
  process.stderr.write(`usage: npm run bench -- NAME [options]\nbenchmarks: ${known.join(', ')}\n`);
  process.exit(2);
}

const module = (await import(`./${name}.js`)) as { run: (args: string[]) => Promise<BenchResult> };
const result = await module.run(args);
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${kernel()}`;
const command = `npm run bench -- ${[name, ...args].join(' ')}`;
if (!existsSync(RESULTS))
  writeFileSync(RESULTS, '# Benchmark results\n\nEach entry: when, the machine, the command, the figures.\n');
appendFileSync(
  RESULTS,
  `\n## ${name}, ${new Date().toISOString()}\n- machine: ${machine}\n- command: \`${command}\`\n\n\`\`\`\n${result.lines.join('\n')}\n${JSON.stringify(result.figures)}\n\`\`\`\n`,
);
for (const line of result.lines) process.stdout.write(`${line}\n`);
process.stdout.write(`${JSON.stringify(result.figures)}\n`);

function kernel(): string {
  try {
    return `Linux ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`;
  } catch {
    return 'unknown kernel';
  }
}
