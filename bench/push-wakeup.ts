import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisServer } from '../src/local/redis-server.js';
import { SipResponse } from '../src/sip/message/index.js';
import { BED, fcmToken, PushBed } from '../test/helpers/push-emulators/push-bed.js';
import { waitFor } from '../test/helpers/wait.js';
import { ProxyProcess } from '../test/fixtures/sip/proxy-process.js';
import { PushDevice } from '../test/fixtures/sip/push-device.js';
import { UdpUa, uaRequest } from '../test/fixtures/sip/ua.js';
import { cpuSeconds, percentile, round } from './measure.js';
import type { BenchResult } from './run.js';
import { writeWorkerNodeFile } from './worker-node-file.js';

/*
 * `npm run bench -- push-wakeup [--rounds R]`: the latency a call to a sleeping device gets from our side, with
 * 1, 10 and 100 calls in flight at once. One stg-sip-proxy and one stg-push-worker process on one redis-server; the
 * FCM emulator, the PBX (a UDP user agent on 127.0.0.2) and the devices in this process. A device wakes as soon as
 * the emulator accepts its push: a REGISTER on a new TCP connection. Per call:
 *   added = (INVITE sent by the PBX -> INVITE received by the device) - (push at the emulator -> REGISTER sent)
 * i.e. the proxy (routing, lookup, subscribe, XADD, the wake-up publish, re-read, forward) plus the push worker's
 * queue and HTTP/2 request; the device's own wake-up is taken out. All clocks are this process's performance.now().
 * Each level runs R rounds (default 20 for 1 call, 5 for 10, 2 for 100); p50/p95 over every call.
 */

const DOMAIN = 'sips.example.test';
const PBX = '127.0.0.2';
const WORKER_MAIN = fileURLToPath(new URL('../src/push/main.js', import.meta.url));
const LEVELS = [1, 10, 100] as const;

/** User + system CPU milliseconds a process has used so far. */
function cpuMs(pid: number | undefined): number {
  return pid === undefined ? NaN : cpuSeconds(pid) * 1000;
}

function quantile(samples: readonly number[], q: number): number {
  return round(percentile([...samples], q) ?? NaN, 2);
}

export async function run(args: string[]): Promise<BenchResult> {
  const at = args.indexOf('--rounds');
  const rounds = at >= 0 ? Number(args[at + 1]) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'stg-bench-push-wakeup-'));
  let server: RedisServer | undefined;
  let bed: PushBed | undefined;
  let worker: ChildProcess | undefined;
  let proxy: ProxyProcess | undefined;
  let pbx: UdpUa | undefined;
  const devices: PushDevice[] = [];
  try {
    [bed, server] = await Promise.all([
      PushBed.start(join(dir, 'bed')),
      RedisServer.start({ dir: join(dir, 'redis'), durable: false }),
    ]);
    const nodeFile = writeWorkerNodeFile(dir, server);
    const workerOut: string[] = [];
    // Enough concurrency in the worker for 100 pushes at once (its default is 32).
    const pushConfig = bed.writeConfig('push-bench.yaml', {
      queue: { ...(bed.config['queue'] as object), concurrency: 128 },
    });
    worker = spawn(process.execPath, [WORKER_MAIN, '--node-file', nodeFile, '--push-config', pushConfig], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (chunk: Buffer) => workerOut.push(chunk.toString()));
    worker.stderr!.on('data', (chunk: Buffer) => workerOut.push(chunk.toString()));
    pbx = await UdpUa.open(PBX);
    proxy = await ProxyProcess.start({
      listen: [
        { transport: 'udp', address: '127.0.0.1', port: 0 },
        { transport: 'tcp', address: '127.0.0.1', port: 0 },
      ],
      limits: { exemptSources: ['127.0.0.1', PBX] },
      dataStore: { host: server.host, port: server.port },
      registrar: { domains: [DOMAIN] },
      proxy: { pbx: { targets: [{ transport: 'udp', address: PBX, port: pbx.port }] } },
      pushWait: { queuePrefix: 'test:push', callTimeoutMs: 30_000, pushAfterMs: 30_000, maxPending: 1000 },
      status: { address: '127.0.0.1', port: 0 },
    });
    const statusUrl = `http://127.0.0.1:${proxy.status!.port}/status`;
    await waitFor('the push worker', () => workerOut.join('').includes('reading test:push:jobs'), {
      describe: () => workerOut.join(''),
    });
    const proxyTcp = proxy.listener('tcp');
    const proxyUdp = proxy.listener('udp');
    let seed = 0;
    const figures: Record<string, { p50: number; p95: number }> = {};
    const lines: string[] = [];
    for (const level of LEVELS) {
      const levelRounds = rounds ?? (level === 1 ? 20 : level === 10 ? 5 : 2);
      const added: number[] = [];
      const total: number[] = [];
      const wake: number[] = [];
      const toPush: number[] = [];
      const afterRegister: number[] = [];
      const cpuBefore = { proxy: cpuMs(proxy.pid), worker: cpuMs(worker.pid), bench: process.cpuUsage() };
      for (let round = 0; round < levelRounds; round++) {
        const batch: { device: PushDevice; callId: string; pushAt: number; sentAt: number }[] = [];
        for (let i = 0; i < level; i++) {
          seed += 1;
          const token = fcmToken(90_000 + seed);
          const device = new PushDevice({
            user: `b${seed}`,
            domain: DOMAIN,
            instance: `00000000-0000-4000-9000-${String(seed).padStart(12, '0')}`,
            token,
            project: BED.fcmProject,
          });
          devices.push(device);
          const ok = await device.register(proxyTcp);
          if (ok.status !== 200) throw new Error(`REGISTER answered ${ok.status}`);
          device.sleep();
          const entry = { device, callId: `bench-${seed}`, pushAt: NaN, sentAt: NaN };
          const emulated = bed.fcm.device(token, BED.fcmProjectId);
          emulated.on('push', () => {
            entry.pushAt = performance.now();
          });
          device.wakeOn(emulated, proxyTcp);
          batch.push(entry);
        }
        // Calls go out once the proxy has seen every connection closed: each call then goes straight to a push
        // (a flow still open would be tried first, and the figure would mix two paths).
        await waitFor(
          'the proxy to see the sleeping devices gone',
          async () => ((await (await fetch(statusUrl)).json()) as { flows: { total: number } }).flows.total === 0,
          { everyMs: 5 },
        );
        for (const entry of batch) {
          entry.sentAt = performance.now();
          void pbx.send(uaRequest('INVITE', `sip:${entry.device.aor}`, pbx, { callId: entry.callId }), proxyUdp);
        }
        for (const entry of batch) {
          const invite = await entry.device.next(
            `the INVITE of ${entry.callId}`,
            (m) => m.callId() === entry.callId,
            20_000,
          );
          const registeredAt = entry.device.registeredAt.at(-1)!;
          const deviceWake = registeredAt - entry.pushAt;
          total.push(invite.at - entry.sentAt);
          wake.push(deviceWake);
          toPush.push(entry.pushAt - entry.sentAt);
          afterRegister.push(invite.at - registeredAt);
          added.push(invite.at - entry.sentAt - deviceWake);
        }
        for (const entry of batch) {
          await pbx.next(
            `the 200 of ${entry.callId}`,
            (m) => m instanceof SipResponse && m.callId() === entry.callId && m.status === 200,
            20_000,
          );
          entry.device.close();
        }
      }
      const calls = added.length;
      const benchCpu = process.cpuUsage(cpuBefore.bench);
      const perCall = (ms: number) => Math.round((ms / calls) * 100) / 100;
      const cpu =
        `CPU per call: proxy ${perCall(cpuMs(proxy.pid) - cpuBefore.proxy)} ms, worker ${perCall(cpuMs(worker.pid) - cpuBefore.worker)} ms,` +
        ` this process (emulator, devices, PBX) ${perCall((benchCpu.user + benchCpu.system) / 1000)} ms`;
      figures[String(level)] = { p50: quantile(added, 0.5), p95: quantile(added, 0.95) };
      lines.push(
        `${String(level).padStart(3)} in flight, ${added.length} calls: added p50 ${quantile(added, 0.5)} ms, p95 ${quantile(added, 0.95)} ms` +
          ` (INVITE to INVITE p50 ${quantile(total, 0.5)} ms; device wake-up p50 ${quantile(wake, 0.5)} ms;` +
          ` INVITE to push p50 ${quantile(toPush, 0.5)} / p95 ${quantile(toPush, 0.95)} ms;` +
          ` REGISTER to INVITE p50 ${quantile(afterRegister, 0.5)} / p95 ${quantile(afterRegister, 0.95)} ms)`,
      );
      lines.push(`    ${cpu}`);
    }
    lines.push('added = INVITE at the device - INVITE from the PBX - (REGISTER sent - push at the emulator)');
    return { lines, figures: { bench: 'push-wakeup', added_ms: figures } };
  } finally {
    for (const device of devices) device.close();
    pbx?.close();
    await proxy?.stop();
    if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    await Promise.all([bed?.close(), server?.stop('SIGKILL')]);
    rmSync(dir, { recursive: true, force: true });
  }
}
