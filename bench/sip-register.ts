import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisServer } from '../src/local/redis-server.js';
import { FIXTURES } from '../test/fixtures/sip/fixtures.js';
import { ProxyProcess } from '../test/fixtures/sip/proxy-process.js';
import { waitFor } from '../test/helpers/wait.js';
import type { BenchResult } from './run.js';
import { runTlsPart } from './sip-register-tls.js';
import { cpuSeconds, option, quiet, rssMb } from './measure.js';
import { readSippStats, runSipp, sippCount } from './sipp.js';

/*
 * `npm run bench -- sip-register [--transports udp,tcp,tls] [--users N] [--step-seconds S] [--start R] [--step R]
 * [--max R]`: SIPp (one process, one socket: -t u1 / t1) registers distinct users (an injection file of --users
 * lines, one REGISTER each, push parameters and +sip.instance as a Linphone app sends) through one stg-sip-proxy
 * process whose data Redis runs on loopback, all on this machine. The rate goes up by --step from --start; each
 * step lasts --step-seconds and starts on an empty Redis. A step is sustained when fewer than 0.1% of its
 * REGISTERs failed (no 200 within 4 s, UDP retransmissions included), the median second of SIPp's per-second
 * statistics got 200s for 97% of the asked rate, and Redis holds a binding for every 200 (its keys counted after
 * the step). The result is the highest sustained rate, with the proxy's CPU (user+system, % of one core, over
 * SIPp's active time) and RSS at its end. The machine is shared: each step shows the load average before it.
 * TLS (SIPp here has none): a Node client, closed loop, see bench/sip-register-tls.ts. All three run by default;
 * `--transport udp|tcp|both` (the older option) runs UDP and/or TCP only.
 */

const SCENARIO = `${FIXTURES}sipp/register-bench.xml`;
const FAILURE_LIMIT = 0.001;
const RATE_KEPT = 0.97;

type Transport = 'udp' | 'tcp' | 'tls';

function transportsOf(args: string[]): Transport[] {
  const list = args.indexOf('--transports');
  if (list >= 0) {
    const named = (args[list + 1] ?? '').split(',');
    const unknown = named.filter((name) => !['udp', 'tcp', 'tls'].includes(name));
    if (unknown.length > 0 || named.length === 0)
      throw new Error(`--transports: a comma-separated list of udp, tcp, tls (not ${JSON.stringify(args[list + 1])})`);
    return (['udp', 'tcp', 'tls'] as const).filter((name) => named.includes(name));
  }
  const at = args.indexOf('--transport');
  const value = at >= 0 ? args[at + 1] : 'all';
  if (value === 'udp' || value === 'tcp') return [value];
  return value === 'both' ? ['udp', 'tcp'] : ['udp', 'tcp', 'tls'];
}

interface Step {
  transport: 'udp' | 'tcp';
  rate: number;
  calls: number;
  ok: number;
  failed: number;
  /** The median of the 200s received per second. */
  achieved: number;
  keys: number;
  cpuPercent: number;
  rssMb: number;
  redisCpuPercent: number;
  sippCpuPercent: number;
  /** The 1-minute load average when the step began: the machine is shared (2 cores). */
  load: number;
  sustained: boolean;
  why: string;
}

export async function run(args: string[]): Promise<BenchResult> {
  const transports = transportsOf(args);
  const dir = mkdtempSync(join(tmpdir(), 'stg-bench-register-'));
  const server = await RedisServer.start({ dir: join(dir, 'redis'), durable: false });
  const redis = new Redis({ host: server.host, port: server.port });
  const parts: { lines: string[]; figures: Record<string, unknown> }[] = [];
  try {
    const sipp = transports.filter((transport): transport is 'udp' | 'tcp' => transport !== 'tls');
    if (sipp.length > 0) parts.push(await runSippPart(args, sipp, dir, redis, server));
    if (transports.includes('tls')) parts.push(await runTlsPart(args, redis, server.pid!));
  } finally {
    redis.disconnect();
    await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    lines: parts.flatMap((part) => part.lines),
    figures: Object.assign({ bench: 'sip-register' }, ...parts.map((part) => part.figures)) as Record<string, unknown>,
  };
}

/** UDP and/or TCP with SIPp, stepped rates. */
async function runSippPart(
  args: string[],
  transports: ('udp' | 'tcp')[],
  dir: string,
  redis: Redis,
  server: RedisServer,
): Promise<{ lines: string[]; figures: Record<string, unknown> }> {
  const users = option(args, '--users', 200_000);
  const stepSeconds = option(args, '--step-seconds', 10);
  const start = option(args, '--start', 2000);
  const increment = option(args, '--step', 1000);
  const max = option(args, '--max', 30_000);
  const csv = join(dir, 'users.csv');
  const lines = ['SEQUENTIAL'];
  for (let i = 1; i <= users; i++) lines.push(`bench${i};00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  writeFileSync(csv, `${lines.join('\n')}\n`);

  const proxy = await ProxyProcess.start({
    listen: [
      { transport: 'udp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: '127.0.0.1', port: 0 },
    ],
    limits: { exemptSources: ['127.0.0.1'], udpReceiveBufferBytes: 8 << 20 },
    dataStore: { host: server.host, port: server.port },
    registrar: { domains: ['sips.example.es'], maxInFlight: 5000 },
    log: { level: 'info' },
  });
  const results: Step[] = [];
  try {
    await waitFor('the registrar connected to Redis', () =>
      proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
    );
    for (const transport of transports) {
      for (let rate = start; rate <= max; rate += increment) {
        const step = await runStep({
          transport,
          rate,
          stepSeconds,
          users,
          csv,
          dir,
          proxy,
          redis,
          redisPid: server.pid!,
        });
        results.push(step);
        process.stderr.write(`sip-register: ${describe(step)}\n`);
        if (!step.sustained) break;
      }
    }
  } finally {
    await proxy.stop();
  }
  const best = (transport: 'udp' | 'tcp') =>
    results.filter((step) => step.transport === transport && step.sustained).at(-1);
  const udp = best('udp');
  const tcp = best('tcp');
  const ran = (transport: 'udp' | 'tcp', step: Step | undefined) =>
    transports.includes(transport)
      ? [
          `${transport.toUpperCase()} ${step ? `${step.rate}/s (proxy CPU ${step.cpuPercent}%, RSS ${step.rssMb} MB)` : 'none'}`,
        ]
      : [];
  // `sipp -v` prints its version and exits with status 1.
  const sipp = /SIPp v[^\s]+/.exec(spawnSync('sipp', ['-v'], { encoding: 'utf8' }).stdout ?? '')?.[0] ?? 'SIPp';
  const out = [
    `sip-register: ${sipp} -> one stg-sip-proxy process -> one redis-server (no persistence), all on 127.0.0.1;`,
    `  distinct users from an injection file of ${users}, one REGISTER each (+sip.instance, RFC 8599 push parameters),`,
    `  ${stepSeconds} s per step from ${start}/s up by ${increment}/s, Redis flushed before each step;`,
    `  sustained = < 0.1% failed, the median second answered >= ${RATE_KEPT * 100}% of the rate, a binding in Redis for every 200`,
    ...results.map((step) => `  ${describe(step)}`),
    `  highest sustained: ${[...ran('udp', udp), ...ran('tcp', tcp)].join('; ')}`,
  ];
  return {
    lines: out,
    figures: {
      ...(transports.includes('udp')
        ? {
            register_per_s: udp?.rate ?? 0,
            transport: 'udp',
            proxy_cpu_percent: udp?.cpuPercent,
            proxy_rss_mb: udp?.rssMb,
            redis_cpu_percent: udp?.redisCpuPercent,
          }
        : {}),
      ...(tcp
        ? { tcp_register_per_s: tcp.rate, tcp_proxy_cpu_percent: tcp.cpuPercent, tcp_proxy_rss_mb: tcp.rssMb }
        : {}),
      step_seconds: stepSeconds,
      users,
    },
  };
}

function describe(step: Step): string {
  return (
    `${step.transport.toUpperCase()} ${step.rate}/s: ${step.ok}/${step.calls} answered 200 (${step.failed} failed), ` +
    `${step.achieved}/s kept, ${step.keys} keys in Redis, proxy CPU ${step.cpuPercent}% RSS ${step.rssMb} MB, ` +
    `redis CPU ${step.redisCpuPercent}%, SIPp CPU ${step.sippCpuPercent}%, load ${step.load} before: ${step.sustained ? 'sustained' : `not sustained (${step.why})`}`
  );
}

async function runStep(options: {
  transport: 'udp' | 'tcp';
  rate: number;
  stepSeconds: number;
  users: number;
  csv: string;
  dir: string;
  proxy: ProxyProcess;
  redis: Redis;
  redisPid: number;
}): Promise<Step> {
  const { transport, rate, stepSeconds, csv, dir, proxy, redis } = options;
  const calls = Math.round(rate * stepSeconds);
  const { port } = proxy.listener(transport);
  // The previous step may have left work behind (late UDP retransmissions in the socket buffer): let it finish.
  await quiet(proxy.pid);
  await redis.flushall();
  const load = loadavg()[0]!;
  const cpuBefore = [cpuSeconds(proxy.pid), cpuSeconds(options.redisPid)];
  const startedAt = Date.now();
  const statFile = join(dir, `stat-${transport}-${rate}.csv`);
  const { output, cpuSeconds: sippCpu } = await runSipp(
    [
      ...['-sf', SCENARIO, '-inf', csv, '-t', transport === 'udp' ? 'u1' : 't1', '-i', '127.0.0.1', '-p', '0'],
      ...['-r', String(rate), '-m', String(calls), '-l', String(rate * 5), '-buff_size', String(8 << 20)],
      ...['-timeout', `${stepSeconds + 60}s`, '-nostdin', '-trace_stat', '-fd', '1', '-stf', statFile],
      `127.0.0.1:${port}`,
    ],
    dir,
  ).done;
  // SIPp's per-second statistics: its active time (the wall time around it also counts loading the injection file,
  // a few percent of a step that would otherwise be charged to the proxy) and the answers per second.
  const periods = readSippStats(statFile);
  const seconds = periods.seconds ?? (Date.now() - startedAt) / 1000;
  const cpu = (pid: number, before: number) => Math.round(((cpuSeconds(pid) - before) / seconds) * 100);
  const ok = sippCount(output, 'Successful call');
  const failed = sippCount(output, 'Failed call');
  const keys = await redis.dbsize();
  // The median second: the first and the last are partial, and one GC pause is not a rate.
  const achieved = periods.medianSuccessful ?? Math.round(ok / seconds);
  const distinct = Math.min(ok, options.users);
  const reasons = [
    failed > calls * FAILURE_LIMIT ? `${failed} failed` : '',
    achieved < rate * RATE_KEPT ? `only ${achieved}/s kept` : '',
    keys < distinct ? `${distinct - keys} answered 200 without a binding` : '',
    ok + failed < calls ? `SIPp ended with ${calls - ok - failed} calls unfinished` : '',
  ].filter(Boolean);
  return {
    transport,
    rate,
    calls,
    ok,
    failed,
    achieved,
    keys,
    cpuPercent: cpu(proxy.pid, cpuBefore[0]!),
    rssMb: rssMb(proxy.pid),
    redisCpuPercent: cpu(options.redisPid, cpuBefore[1]!),
    sippCpuPercent: Math.round((sippCpu / seconds) * 100),
    load: Math.round(load * 100) / 100,
    sustained: reasons.length === 0,
    why: reasons.join(', '),
  };
}
