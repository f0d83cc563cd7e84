import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { RedisServer } from '../../src/local/redis-server.js';
import { SipResponse, type SipMessage } from '../../src/sip/message/index.js';
import { BED, fcmToken, PushBed } from '../helpers/push-emulators/push-bed.js';
import type { TestDevice } from '../helpers/push-emulators/device.js';
import { waitFor } from '../helpers/wait.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { PushDevice } from '../fixtures/sip/push-device.js';
import { freeUdpPort, sipp, sippOutput, sippSucceeded } from '../fixtures/sip/sipp-run.js';
import { UdpUa, uaRequest } from '../fixtures/sip/ua.js';

/*
 * Issue 8 end to end: two stg-sip-proxy processes on one data Redis, a real stg-push-worker process, the FCM
 * emulator, the PBX as a UDP user agent on 127.0.0.2 (the proxies' PBX target) and sleeping devices
 * (test/fixtures/sip/push-device.ts) that REGISTER again on a new TCP connection when the emulator accepts a push
 * for their token. Everything on loopback; every process is stopped by PID in test.after.always.
 */

const DOMAIN = 'sips.example.test';
const PBX = '127.0.0.2';
const INTERNAL = '127.0.0.3';
const CALL_TIMEOUT_MS = 2500;
const WORKER_MAIN = fileURLToPath(new URL('../../src/push/main.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'stg-sip-push-'));
let server: RedisServer;
let redis: Redis;
let bed: PushBed;
let worker: ChildProcess;
const workerLines: string[] = [];
let proxyA: ProxyProcess;
let proxyB: ProxyProcess;
let pbx: UdpUa;
const devices: PushDevice[] = [];
let sippPbxPort: number;

/**
 * A node's proxy: devices on 127.0.0.1, and the internal listener of its Path on 127.0.0.3 (another node reaches the
 * flows held here through it, issue 6).
 */
function proxyConfig(name: string, proxyId: string, internalPort: number, pbxPort: number, sippPbxPort: number) {
  return {
    node: name,
    listen: [
      { transport: 'udp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: INTERNAL, port: internalPort },
    ],
    limits: { exemptSources: ['127.0.0.1', PBX, INTERNAL] },
    dataStore: { host: server.host, port: server.port },
    registrar: { domains: [DOMAIN], path: { uri: `sip:${INTERNAL}:${internalPort};transport=tcp`, proxyId } },
    // Two PBX addresses: the test's own UA, and SIPp for the call it makes.
    proxy: {
      pbx: {
        targets: [
          { transport: 'udp', address: PBX, port: pbxPort },
          { transport: 'udp', address: PBX, port: sippPbxPort },
        ],
      },
    },
    pushWait: {
      queuePrefix: 'test:push',
      callTimeoutMs: CALL_TIMEOUT_MS,
      messageTimeoutMs: CALL_TIMEOUT_MS,
      pushAfterMs: 300,
      statsIntervalMs: 100,
    },
  };
}

test.before(async () => {
  [bed, server] = await Promise.all([
    PushBed.start(join(dir, 'bed')),
    RedisServer.start({ dir: join(dir, 'redis'), durable: false }),
  ]);
  redis = new Redis({ host: server.host, port: server.port });
  const nodeFile = join(dir, 'node.yaml');
  writeFileSync(
    nodeFile,
    stringify({
      cluster: 'test',
      node: { id: 'stg1', address: '127.0.0.1' },
      lockMembers: [{ host: '127.0.0.1', port: 1 }], // not used by push workers
      dataStore: { host: server.host, port: server.port },
      paths: { stateDir: join(dir, 'state') },
      definitionFile: 'cluster.yaml', // not read by push workers
    }),
  );
  worker = spawn(process.execPath, [WORKER_MAIN, '--node-file', nodeFile, '--push-config', bed.configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (chunk: Buffer) => workerLines.push(chunk.toString()));
  worker.stderr!.on('data', (chunk: Buffer) => workerLines.push(chunk.toString()));
  pbx = await UdpUa.open(PBX);
  sippPbxPort = await freeUdpPort(PBX);
  const internalA = await freeUdpPort(INTERNAL);
  let internalB = await freeUdpPort(INTERNAL);
  while (internalB === internalA) internalB = await freeUdpPort(INTERNAL);
  [proxyA, proxyB] = await Promise.all([
    ProxyProcess.start(proxyConfig('stg-a', '00000000000000a1', internalA, pbx.port, sippPbxPort)),
    ProxyProcess.start(proxyConfig('stg-b', '00000000000000b2', internalB, pbx.port, sippPbxPort)),
  ]);
  await waitFor('the push worker to read its stream', () => workerLines.join('').includes('reading test:push:jobs'), {
    describe: () => workerLines.join(''),
  });
  for (const proxy of [proxyA, proxyB]) {
    await waitFor('the registrar connected to Redis', () =>
      proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
    );
  }
});

test.after.always(async () => {
  for (const device of devices) device.close();
  pbx?.close();
  await Promise.all([proxyA?.stop(), proxyB?.stop()]);
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  redis?.disconnect();
  await Promise.all([bed?.close(), server?.stop('SIGKILL')]);
  rmSync(dir, { recursive: true, force: true });
});

let seed = 0;

/** A device registered at `proxy` over TCP, then asleep (its connection closed); it wakes at `wakeAt` on a push. */
async function sleepingDevice(
  proxy: ProxyProcess,
  options: { wakeAt?: ProxyProcess } = {},
): Promise<{ device: PushDevice; emulated: TestDevice }> {
  seed += 1;
  const token = fcmToken(7000 + seed);
  const device = new PushDevice({
    user: `dev${seed}`,
    domain: DOMAIN,
    instance: `00000000-0000-4000-8000-${String(seed).padStart(12, '0')}`,
    token,
    project: BED.fcmProject,
    listen: false,
  });
  devices.push(device);
  await device.start();
  const ok = await device.register(proxy.listener('tcp'));
  if (ok.status !== 200) throw new Error(`REGISTER answered ${ok.status}`);
  device.sleep();
  const emulated = bed.fcm.device(token, BED.fcmProjectId);
  if (options.wakeAt) device.wakeOn(emulated, options.wakeAt.listener('tcp'));
  return { device, emulated };
}

const responseTo =
  (callId: string, status: number, method = 'INVITE') =>
  (m: SipMessage) =>
    m instanceof SipResponse && m.callId() === callId && m.status === status && m.cseq().method === method;

async function pbxSends(proxy: ProxyProcess, method: string, device: PushDevice, callId: string, branch?: string) {
  const text = uaRequest(method, `sip:${device.aor}`, pbx, { callId, ...(branch ? { branch } : {}) });
  await pbx.send(text, proxy.listener('udp'));
}

/** ACK and BYE from the PBX along the dialog's route set (the 200's Record-Route, reversed) and the device's Contact. */
async function ackAndBye(proxy: ProxyProcess, ok: SipResponse, callId: string): Promise<void> {
  const routeSet = ok
    .recordRoutes()
    .map((rr) => rr.toString())
    .reverse();
  const contact = ok.contacts().contacts[0];
  if (!contact) throw new Error('the 200 has no Contact');
  const uri = contact.uri.toString();
  const inDialog = (method: string, cseq: number) =>
    uaRequest(method, uri, pbx, { callId, cseq, toTag: ok.to().tag ?? '', extra: [`Route: ${routeSet.join(', ')}`] });
  await pbx.send(inDialog('ACK', 1), proxy.listener('udp'));
  await pbx.send(inDialog('BYE', 2), proxy.listener('udp'));
  await pbx.next(`the 200 for BYE ${callId}`, responseTo(callId, 200, 'BYE'));
}

/** The proxy's last periodic count of waiting requests. */
function pendingAt(proxy: ProxyProcess): number | undefined {
  const lines = proxy.logLines().filter((line) => String(line['msg']).startsWith('push waits:'));
  const last = lines.at(-1)?.['pushWait'] as { pending: number } | undefined;
  return last?.pending;
}

async function nothingLeftWaiting(proxy: ProxyProcess, aor: string): Promise<void> {
  await waitFor(`${aor}: nothing waiting and no subscription left`, async () => {
    const [, subscribers] = (await redis.pubsub('NUMSUB', aor)) as [string, number];
    return pendingAt(proxy) === 0 && Number(subscribers) === 0;
  });
}

test.serial(
  'the PBX calls a sleeping device: one push, a REGISTER on a new connection, the INVITE there, 200 to the PBX',
  async (t) => {
    const { device, emulated } = await sleepingDevice(proxyA, { wakeAt: proxyA });
    const callId = 'push-call-1';
    await pbxSends(proxyA, 'INVITE', device, callId);
    await pbx.next('110 Push sent', responseTo(callId, 110));
    const invite = await device.next('the INVITE on the woken device', (m) => m.callId() === callId);
    t.is(invite.connection, 2, 'the INVITE came on the connection of the new REGISTER');
    const ok = (await pbx.next('the 200 for the INVITE', responseTo(callId, 200))).message as SipResponse;
    await pbx.next('180 Ringing', responseTo(callId, 180));
    await ackAndBye(proxyA, ok, callId);
    t.is(device.count('ACK', callId), 1);
    t.is(device.count('BYE', callId), 1);
    t.is(device.count('INVITE', callId), 1, 'one INVITE to the device for this call');
    t.is(emulated.pushes.length, 1, 'one push reached the emulator');
    const data = (emulated.pushes[0]!.payload as { android: { data: Record<string, string> } }).android.data;
    t.is(data['call-id'], callId);
    t.is(data['loc-key'], 'IC_MSG');
    t.is(pbx.count(responseTo(callId, 110)), 1, '110 Push sent once');
    await nothingLeftWaiting(proxyA, device.aor);
  },
);

test.serial(
  'the PBX (SIPp) calls a sleeping device: 110, one push, the device wakes and answers, SIPp gets 200 and hangs up',
  async (t) => {
    const { device, emulated } = await sleepingDevice(proxyA, { wakeAt: proxyA });
    const result = await sipp({
      scenario: 'call-uac.xml',
      transport: 'u1',
      address: PBX,
      port: sippPbxPort,
      calls: 1,
      service: device.aor.split('@')[0]!,
      remote: `${proxyA.listener('udp').address}:${proxyA.listener('udp').port}`,
      cwd: dir,
      keys: { domain: DOMAIN },
    });
    t.true(sippSucceeded(result, 1), sippOutput(result));
    t.is(emulated.pushes.length, 1, 'one push');
    const invites = device.received.filter((r) => r.message.startLine().startsWith('INVITE'));
    t.is(invites.length, 1);
    t.is(invites[0]!.connection, 2, 'on the connection the device opened when it woke');
    t.true(
      device.received.some((r) => r.message.startLine().startsWith('BYE')),
      'the BYE reached the device',
    );
    await nothingLeftWaiting(proxyA, device.aor);
  },
);

test.serial(
  'the device wakes on another node: the INVITE reaches it there, on its new flow, through that node',
  async (t) => {
    const { device, emulated } = await sleepingDevice(proxyA, { wakeAt: proxyB });
    const callId = 'push-call-other-node';
    await pbxSends(proxyA, 'INVITE', device, callId);
    const ok = (await pbx.next('the 200 for the INVITE', responseTo(callId, 200))).message as SipResponse;
    t.is(emulated.pushes.length, 1);
    const wakeUp = device.received.find((r) => r.connection === 2);
    t.is(wakeUp?.remotePort, proxyB.listener('tcp').port, 'woke at the other node');
    const invite = device.received.find((r) => r.message.callId() === callId)!;
    t.is(invite.connection, 2, "the INVITE came on the device's wake-up connection to the other node");
    const text = invite.message.toString();
    t.false(/fs-(proxy-id|conn-id|flow|aor)/.test(text), 'no internal parameter reaches the device');
    t.false(/^Route:/im.test(text), "no node's Path reaches the device as a Route");
    await ackAndBye(proxyA, ok, callId);
    t.is(device.count('INVITE', callId), 1);
    await nothingLeftWaiting(proxyA, device.aor);
  },
);

test.serial('the device never wakes: 480 at the call timeout, a missed-call push, nothing left waiting', async (t) => {
  const { device, emulated } = await sleepingDevice(proxyA);
  const callId = 'push-call-timeout';
  const sentAt = Date.now();
  await pbxSends(proxyA, 'INVITE', device, callId);
  await pbx.next('110 Push sent', responseTo(callId, 110));
  await emulated.waitForPushes(1);
  await pbx.next('480 at the timeout', responseTo(callId, 480), CALL_TIMEOUT_MS + 5000);
  t.true(Date.now() - sentAt >= CALL_TIMEOUT_MS - 50, 'not before the configured timeout');
  t.is(device.count('INVITE', callId), 0);
  await nothingLeftWaiting(proxyA, device.aor);
  const [, missed] = await emulated.waitForPushes(2);
  const data = (missed!.payload as { android: { data: Record<string, string> } }).android.data;
  t.like(data, { 'call-id': callId, 'loc-key': 'Missing call' }, 'the app shows a missed call');
});

test.serial('CANCEL during the wait: 200 for the CANCEL, 487 for the INVITE, the wait ends', async (t) => {
  const { device, emulated } = await sleepingDevice(proxyA);
  const callId = 'push-call-cancel';
  const branch = 'z9hG4bKpushcancel1';
  await pbxSends(proxyA, 'INVITE', device, callId, branch);
  await pbx.next('110 Push sent', responseTo(callId, 110));
  await emulated.waitForPushes(1);
  await pbxSends(proxyA, 'CANCEL', device, callId, branch);
  await pbx.next('200 for the CANCEL', responseTo(callId, 200, 'CANCEL'));
  await pbx.next('487 for the INVITE', responseTo(callId, 487));
  await nothingLeftWaiting(proxyA, device.aor);
  // The app that was woken for the call is told it is gone: a second push, same Call-ID, the missed-call text.
  const [call, cancelled] = await emulated.waitForPushes(2);
  const data = (push: typeof call) => (push!.payload as { android: { data: Record<string, string> } }).android.data;
  t.is(data(call)['loc-key'], 'IC_MSG');
  t.like(data(cancelled), { 'call-id': callId, 'loc-key': 'Missing call' });
  // Waking now, the device must not get the cancelled call.
  await device.register(proxyA.listener('tcp'));
  t.is(device.count('INVITE', callId), 0);
});

test.serial(
  'a re-REGISTER on a new connection while the branch on the previous one is pending gets the call',
  async (t) => {
    const { device } = await sleepingDevice(proxyA, { wakeAt: proxyA });
    device.answer = 'ignore';
    const callId = 'push-call-reregister';
    await pbxSends(proxyA, 'INVITE', device, callId);
    const first = await device.next('the INVITE on the first wake-up', (m) => m.callId() === callId);
    t.is(first.connection, 2);
    device.wakeTo = undefined;
    device.answer = 'ring-and-answer';
    await device.register(proxyA.listener('tcp'));
    const ok = (await pbx.next('the 200 for the INVITE', responseTo(callId, 200))).message as SipResponse;
    const invites = device.received.filter(
      (r) => r.message.callId() === callId && r.message.startLine().startsWith('INVITE'),
    );
    t.deepEqual(
      invites.map((r) => r.connection),
      [2, 3],
      'one INVITE on the stale connection, one on the new one',
    );
    await ackAndBye(proxyA, ok, callId);
    await nothingLeftWaiting(proxyA, device.aor);
  },
);

test.serial(
  'MESSAGE to a sleeping device: a message push, delivered after the wake-up, 200 to the sender',
  async (t) => {
    const { device, emulated } = await sleepingDevice(proxyA, { wakeAt: proxyA });
    const callId = 'push-message-1';
    await pbxSends(proxyA, 'MESSAGE', device, callId);
    await device.next('the MESSAGE on the woken device', (m) => m.callId() === callId);
    await pbx.next('200 for the MESSAGE', responseTo(callId, 200, 'MESSAGE'));
    const data = (emulated.pushes[0]!.payload as { android: { data: Record<string, string> } }).android.data;
    t.is(data['loc-key'], 'IM_MSG');
    t.is(pbx.count(responseTo(callId, 110, 'MESSAGE')), 0, 'no provisional for a MESSAGE (RFC 4320)');
    await nothingLeftWaiting(proxyA, device.aor);
  },
);
