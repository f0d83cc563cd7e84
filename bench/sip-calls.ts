import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '../src/local/redis-server.js';
import { FIXTURES } from '../test/fixtures/sip/fixtures.js';
import { ProxyProcess } from '../test/fixtures/sip/proxy-process.js';
import { freeUdpPort, udpListening } from '../test/fixtures/sip/sipp-run.js';
import { waitFor } from '../test/helpers/wait.js';
import { cpuSeconds, option, quiet, rssMb } from './measure.js';
import type { BenchResult } from './run.js';
import { readSippStats, runSipp, sippCount } from './sipp.js';

/*
 * `npm run bench -- sip-calls [--direction device-to-pbx|pbx-to-device|both] [--step-seconds S] [--start R]
 * [--step R] [--max R] [--profile DIR]`: INVITE-180-200-ACK-(100 ms)-BYE-200 calls through one stg-sip-proxy
 * process over UDP, SIPp on both sides, all on this machine (2 cores shared by the proxy, both SIPps and Redis):
 * - device-to-pbx: SIPp UAC on 127.0.0.1 (a device) -> proxy -> SIPp UAS on 127.0.0.2 (the PBX target); the
 *   Request-URI is in the PBX's domain, so the proxy routes without a lookup;
 * - pbx-to-device: SIPp UAC on the PBX -> proxy, which looks the AOR up in Redis (the registrar's bindings, one
 *   device registered from the SIPp UAS's own port) -> the device.
 * The rate goes up by --step from --start; each step lasts --step-seconds. A step is sustained when fewer than 0.1%
 * of its calls failed (SIPp's own timers: its retransmissions, then a call that does not finish) and the median
 * second completed 97% of the rate. The result is the highest sustained rate, with the proxy's CPU (user+system, %
 * of one core, over SIPp's active time) and RSS at the step's end. --profile DIR writes the proxy's CPU profile.
 */

const FAILURE_LIMIT = 0.001;
const RATE_KEPT = 0.97;
const DOMAIN = 'sips.example.test';
const PBX_ADDRESS = '127.0.0.2';
const DEVICE_ADDRESS = '127.0.0.1';

type Direction = 'device-to-pbx' | 'pbx-to-device';

interface Step {
  direction: Direction;
  rate: number;
  calls: number;
  ok: number;
  failed: number;
  achieved: number;
  retransmissions: number;
  cpuPercent: number;
  rssMb: number;
  sippCpuPercent: number;
  load: number;
  sustained: boolean;
  why: string;
}

function directionsOf(args: string[]): Direction[] {
  const at = args.indexOf('--direction');
  const value = at >= 0 ? args[at + 1] : 'both';
  if (value === 'device-to-pbx' || value === 'pbx-to-device') return [value];
  return ['device-to-pbx', 'pbx-to-device'];
}

export async function run(args: string[]): Promise<BenchResult> {
  const stepSeconds = option(args, '--step-seconds', 10);
  const start = option(args, '--start', 500);
  const increment = option(args, '--step', 250);
  const max = option(args, '--max', 4000);
  const profileAt = args.indexOf('--profile');
  const profileDir = profileAt >= 0 ? args[profileAt + 1] : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'stg-bench-calls-'));
  const server = await RedisServer.start({ dir: join(dir, 'redis'), durable: false });
  const pbxPort = await freeUdpPort(PBX_ADDRESS);
  const devicePort = await freeUdpPort(DEVICE_ADDRESS);
  const savedOptions = process.env['NODE_OPTIONS'];
  if (profileDir) process.env['NODE_OPTIONS'] = `--cpu-prof --cpu-prof-dir=${profileDir}`;
  const proxy = await ProxyProcess.start({
    listen: [{ transport: 'udp', address: DEVICE_ADDRESS, port: 0 }],
    limits: { exemptSources: [DEVICE_ADDRESS, PBX_ADDRESS], udpReceiveBufferBytes: 8 << 20 },
    dataStore: { host: server.host, port: server.port },
    registrar: { domains: [DOMAIN] },
    proxy: { pbx: { targets: [{ transport: 'udp', address: PBX_ADDRESS, port: pbxPort }] } },
    log: { level: 'info' },
  });
  if (profileDir) process.env['NODE_OPTIONS'] = savedOptions ?? '';
  const results: Step[] = [];
  try {
    await waitFor('the registrar connected to Redis', () =>
      proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
    );
    const proxyAt = `${DEVICE_ADDRESS}:${proxy.listener('udp').port}`;
    for (const direction of directionsOf(args)) {
      if (direction === 'pbx-to-device') await registerDevice(devicePort, proxyAt, dir);
      for (let rate = start; rate <= max; rate += increment) {
        const step = await runStep({ direction, rate, stepSeconds, dir, proxy, proxyAt, pbxPort, devicePort });
        results.push(step);
        process.stderr.write(`sip-calls: ${describe(step)}\n`);
        if (!step.sustained) break;
      }
    }
  } finally {
    await proxy.stop();
    await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  const best = (direction: Direction) =>
    results.filter((step) => step.direction === direction && step.sustained).at(-1);
  const toPbx = best('device-to-pbx');
  const toDevice = best('pbx-to-device');
  const sippVersion = /SIPp v[^\s]+/.exec(spawnSync('sipp', ['-v'], { encoding: 'utf8' }).stdout ?? '')?.[0] ?? 'SIPp';
  const summary = (step: Step | undefined) =>
    step ? `${step.rate} calls/s (proxy CPU ${step.cpuPercent}%, RSS ${step.rssMb} MB)` : 'none';
  return {
    lines: [
      `sip-calls: ${sippVersion} UAC -> one stg-sip-proxy process (UDP, Record-Route on) -> ${sippVersion} UAS, all on this machine;`,
      `  a call: INVITE, 100 (the proxy's), 180, 200, ACK, 100 ms, BYE, 200 (7 messages in and 7 out at the proxy);`,
      `  ${stepSeconds} s per step from ${start}/s up by ${increment}/s; sustained = < 0.1% failed calls and the median second completing >= ${RATE_KEPT * 100}% of the rate`,
      ...results.map((step) => `  ${describe(step)}`),
      `  highest sustained: device -> PBX ${summary(toPbx)}` +
        (directionsOf(args).includes('pbx-to-device') ? `; PBX -> device (Redis lookup) ${summary(toDevice)}` : ''),
    ],
    figures: {
      bench: 'sip-calls',
      calls_per_s: toPbx?.rate ?? 0,
      direction: 'device-to-pbx',
      proxy_cpu_percent: toPbx?.cpuPercent,
      proxy_rss_mb: toPbx?.rssMb,
      ...(toDevice
        ? {
            pbx_to_device_calls_per_s: toDevice.rate,
            pbx_to_device_proxy_cpu_percent: toDevice.cpuPercent,
            pbx_to_device_proxy_rss_mb: toDevice.rssMb,
          }
        : {}),
      step_seconds: stepSeconds,
    },
  };
}

function describe(step: Step): string {
  return (
    `${step.direction} ${step.rate}/s: ${step.ok}/${step.calls} calls completed (${step.failed} failed), ` +
    `${step.achieved}/s kept, ${step.retransmissions} SIPp retransmissions, proxy CPU ${step.cpuPercent}% ` +
    `RSS ${step.rssMb} MB, SIPp CPU ${step.sippCpuPercent}% (both), load ${step.load} before: ` +
    (step.sustained ? 'sustained' : `not sustained (${step.why})`)
  );
}

async function runStep(options: {
  direction: Direction;
  rate: number;
  stepSeconds: number;
  dir: string;
  proxy: ProxyProcess;
  proxyAt: string;
  pbxPort: number;
  devicePort: number;
}): Promise<Step> {
  const { direction, rate, stepSeconds, dir, proxy, proxyAt } = options;
  const calls = Math.round(rate * stepSeconds);
  // The previous step's transactions still end during this one (RFC 6026's Timers L and M, Timer J: 32 s after each
  // call), a small cost included in its figures: wait for under 10% of a core only.
  await quiet(proxy.pid, { idleShare: 0.1, maxWaitMs: 30_000 });
  const load = loadavg()[0]!;
  const [calleeAddress, calleePort] =
    direction === 'device-to-pbx' ? [PBX_ADDRESS, options.pbxPort] : [DEVICE_ADDRESS, options.devicePort];
  const [callerAddress, callerPort] =
    direction === 'device-to-pbx'
      ? [DEVICE_ADDRESS, await freeUdpPort(DEVICE_ADDRESS)]
      : [PBX_ADDRESS, options.pbxPort];
  const common = ['-t', 'u1', '-buff_size', String(8 << 20), '-nostdin', '-timeout', `${stepSeconds + 60}s`];
  const callee = runSipp(
    [
      ...['-sf', `${FIXTURES}sipp/call-uas.xml`, '-i', calleeAddress, '-p', String(calleePort)],
      ...['-m', String(calls), ...common],
    ],
    dir,
  );
  await udpListening(calleeAddress, calleePort);
  const cpuBefore = cpuSeconds(proxy.pid);
  const statFile = join(dir, `stat-${direction}-${rate}.csv`);
  const caller = runSipp(
    [
      ...['-sf', `${FIXTURES}sipp/call-uac.xml`, '-i', callerAddress, '-p', String(callerPort)],
      ...['-s', direction === 'device-to-pbx' ? '200' : 'bench'],
      ...['-key', 'domain', direction === 'device-to-pbx' ? 'pbx.example.test' : DOMAIN],
      ...['-r', String(rate), '-m', String(calls), '-l', String(rate * 4), ...common],
      ...['-trace_stat', '-fd', '1', '-stf', statFile],
      proxyAt,
    ],
    dir,
  );
  const callerResult = await caller.done;
  // The caller's statistics decide the step; the callee gets a moment to finish its last calls, then is stopped.
  const grace = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000));
  const calleeFinished = callee.done.catch(() => ({ output: '', cpuSeconds: 0 }));
  if ((await Promise.race([calleeFinished, grace])) === undefined) callee.stop();
  const calleeResult = await calleeFinished;
  const periods = readSippStats(statFile);
  const seconds = periods.seconds ?? stepSeconds;
  const ok = sippCount(callerResult.output, 'Successful call');
  const failed = sippCount(callerResult.output, 'Failed call');
  const achieved = periods.medianSuccessful ?? Math.round(ok / seconds);
  const reasons = [
    failed > calls * FAILURE_LIMIT ? `${failed} failed` : '',
    achieved < rate * RATE_KEPT ? `only ${achieved}/s kept` : '',
    ok + failed < calls ? `SIPp ended with ${calls - ok - failed} calls unfinished` : '',
  ].filter(Boolean);
  return {
    direction,
    rate,
    calls,
    ok,
    failed,
    achieved,
    retransmissions: retransmissions(callerResult.output),
    cpuPercent: Math.round(((cpuSeconds(proxy.pid) - cpuBefore) / seconds) * 100),
    rssMb: rssMb(proxy.pid),
    sippCpuPercent: Math.round(((callerResult.cpuSeconds + calleeResult.cpuSeconds) / seconds) * 100),
    load: Math.round(load * 100) / 100,
    sustained: reasons.length === 0,
    why: reasons.join(', '),
  };
}

/** One REGISTER of `bench@DOMAIN` from the device's port, where its SIPp UAS will then take the calls. */
async function registerDevice(port: number, proxyAt: string, dir: string): Promise<void> {
  const result = await runSipp(
    [
      ...['-sf', `${FIXTURES}sipp/call-device-register.xml`, '-t', 'u1', '-i', DEVICE_ADDRESS, '-p', String(port)],
      ...['-s', 'bench', '-key', 'domain', DOMAIN, '-key', 'instance', '00000000-0000-4000-8000-0000000be0c1'],
      ...['-m', '1', '-timeout', '10s', '-timeout_error', '-nostdin', proxyAt],
    ],
    dir,
  ).done;
  if (sippCount(result.output, 'Successful call') !== 1)
    throw new Error(`the device did not register:\n${result.output}`);
}

/** The retransmissions SIPp counted on its scenario lines (the "Retrans" column, summed). */
function retransmissions(output: string): number {
  let total = 0;
  for (const match of output.matchAll(/^\s+(?:INVITE|BYE) ---------->\s+\d+\s+(\d+)/gm)) total += Number(match[1]);
  return total;
}
