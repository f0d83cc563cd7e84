import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from './run.js';
import { dnsperf, quantile, type DnsperfResult } from './dns-perf.js';
import { measureFollow } from './dns-follow.js';
import { BenchDnsServer } from './dns-server.js';
import { summarize } from './stats.js';

/** The fixed load at which the latency percentiles are taken. */
const FIXED_QPS = 5000;

/**
 * `npm run bench -- dns [--seconds N] [--follow-runs N]`: dnsperf (UDP, on loopback, 4 clients, up to 200 queries
 * outstanding) against one stg-dns process for N seconds (default 20) each: A queries, SRV queries, and a mix
 * (half NXDOMAIN for random names in the zone, the rest A, SRV, NAPTR and a NODATA AAAA); then A at a fixed 5,000
 * queries/s for the latency percentiles; then, in nodes mode with three agents and a server per node, the time
 * from a new term acquired (switchovers) to every node's server answering the new leader first.
 */
export async function run(args: string[]): Promise<BenchResult> {
  const option = (name: string, fallback: number) => {
    const at = args.indexOf(name);
    return (at >= 0 ? Number(args[at + 1]) : fallback) || fallback;
  };
  const seconds = option('--seconds', 20);
  const followRuns = option('--follow-runs', 20);

  const server = await BenchDnsServer.start();
  let a: DnsperfResult, srv: DnsperfResult, mix: DnsperfResult, fixed: DnsperfResult;
  try {
    const file = (name: string, lines: string[]) => {
      const path = join(server.dir, name);
      writeFileSync(path, `${lines.join('\n')}\n`);
      return path;
    };
    const aFile = file('a.txt', ['sips.example.es A']);
    const srvFile = file('srv.txt', ['_sips._tcp.sips.example.es SRV']);
    const mixFile = file('mix.txt', mixLines(10_000));
    a = await dnsperf({ port: server.port, dataFile: aFile, seconds });
    srv = await dnsperf({ port: server.port, dataFile: srvFile, seconds });
    mix = await dnsperf({ port: server.port, dataFile: mixFile, seconds });
    fixed = await dnsperf({ port: server.port, dataFile: aFile, seconds, maxQps: FIXED_QPS, verbose: true });
  } finally {
    await server.close();
  }
  const follow = await measureFollow(followRuns);
  const followSummary = summarize(follow);

  const line = (label: string, result: DnsperfResult) =>
    `  ${label.padEnd(40)}${Math.round(result.qps)} queries/s, average ${result.averageMs.toFixed(3)} ms, max ${result.maxMs.toFixed(1)} ms, lost ${result.lost}/${result.sent} (${result.codes})`;
  const p = (q: number) => quantile(fixed.latenciesMs, q);
  return {
    lines: [
      `dns: dnsperf 2.10 against one stg-dns process on 127.0.0.1 (UDP, no EDNS, 4 clients, 200 outstanding), ${seconds} s each; a nodes-mode set of 3 nodes`,
      line('A (sips.example.es):', a),
      line('SRV (_sips._tcp):', srv),
      line('mix (50% NXDOMAIN, A/SRV/NAPTR/AAAA):', mix),
      `  A at ${FIXED_QPS} queries/s (dnsperf -Q ${FIXED_QPS}): ${Math.round(fixed.qps)} queries/s answered, ` +
        `latency p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, p99.9 ${p(0.999)} ms, max ${fixed.maxMs.toFixed(2)} ms, lost ${fixed.lost}`,
      `  (latencies as dnsperf measures them, its own time included; dnsperf shares the 2 cores with the server)`,
      `follow: nodes mode, 3 agents on loopback (default timings), stg-dns on each node (a process resource), ${followRuns} switchovers:`,
      `  new term acquired (the lead journal entry) -> every node's server answers the new leader first (SRV probed every 2 ms):`,
      `  p50 ${followSummary.p50} ms, p95 ${followSummary.p95} ms, max ${followSummary.max} ms (min ${followSummary.min})`,
      `  each, in order: ${follow.map((sample) => Math.round(sample)).join(' ')}`,
    ],
    figures: {
      bench: 'dns',
      qps: { a: Math.round(a.qps), srv: Math.round(srv.qps), mix: Math.round(mix.qps) },
      p99_ms_at_5000: p(0.99),
      follow_ms: followSummary.max,
    },
  };
}

/** Half NXDOMAIN (random names in the zone: never cached anywhere), half the names clients really ask. */
function mixLines(count: number): string[] {
  const known = [
    'sips.example.es A',
    '_sips._tcp.sips.example.es SRV',
    '_sip._udp.sips.example.es SRV',
    'sips.example.es NAPTR',
    'sips.example.es AAAA',
  ];
  return Array.from({ length: count }, (_, index) =>
    index % 2 === 0 ? `${randomBytes(6).toString('hex')}.example.es A` : known[(index >> 1) % known.length]!,
  );
}
