import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { RedisServer } from '../../src/local/redis-server.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { freeUdpPort, sipp, sippOutput, sippSucceeded, udpListening } from '../fixtures/sip/sipp-run.js';
import { waitFor } from '../helpers/wait.js';

// Calls through a running stg-sip-proxy with SIPp (Debian's sip-tester) on both sides: devices on 127.0.0.1, the
// PBX on 127.0.0.2 (the proxy's PBX target), the registrar's bindings in a real redis-server. Each SIPp run must
// end with every call successful; each scenario checks the messages it expects (100/180/200, ACK, BYE, CANCEL...).

const DOMAIN = 'sips.example.test';
const PBX = '127.0.0.2';
const DEVICE = '127.0.0.1';
let proxy: ProxyProcess;
let server: RedisServer;
let workDir: string;
let pbxPort: number;
const running: { kill: (signal: NodeJS.Signals) => boolean; exitCode: number | null | undefined }[] = [];

test.before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'stg-sipp-call-'));
  server = await RedisServer.start({ dir: join(workDir, 'redis'), durable: false });
  pbxPort = await freeUdpPort(PBX);
  proxy = await ProxyProcess.start({
    listen: [
      { transport: 'udp', address: DEVICE, port: 0 },
      { transport: 'tcp', address: DEVICE, port: 0 },
    ],
    limits: { exemptSources: [DEVICE, PBX] },
    dataStore: { host: server.host, port: server.port },
    registrar: { domains: [DOMAIN], path: { uri: 'sip:127.0.0.1:5556;transport=tcp', proxyId: 'stg-test' } },
    proxy: { pbx: { targets: [{ transport: 'udp', address: PBX, port: pbxPort }] } },
  });
  await waitFor('the registrar connected to Redis', () =>
    proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
  );
});

test.afterEach.always(() => {
  // A SIPp still running after a failed test is stopped by its PID (execa kills that child only).
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

test.after.always(async () => {
  await proxy?.stop();
  await server?.stop('SIGKILL');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function proxyAt(transport: 'udp' | 'tcp'): string {
  return `${DEVICE}:${proxy.listener(transport).port}`;
}

/**
 * Starts a SIPp server (a scenario beginning with recv) and waits until it listens. Its result comes wrapped: an
 * async function returning the (thenable) run itself would wait for SIPp to exit.
 */
async function server_(scenario: string, address: string, port: number, calls: number) {
  const run = sipp({ scenario, transport: 'u1', address, port, calls, cwd: workDir, keys: { domain: DOMAIN } });
  running.push(run);
  await udpListening(address, port);
  return { done: run };
}

/** Registers `user` with a +sip.instance from `port`, where the device will then take calls. */
async function register(user: string, instance: string, port: number) {
  const result = await sipp({
    scenario: 'call-device-register.xml',
    transport: 'u1',
    address: DEVICE,
    port,
    calls: 1,
    service: user,
    remote: proxyAt('udp'),
    cwd: workDir,
    keys: { domain: DOMAIN, instance },
  });
  if (!sippSucceeded(result, 1)) throw new Error(`registration of ${user} failed:\n${sippOutput(result)}`);
}

for (const transport of ['udp', 'tcp'] as const) {
  test.serial(
    `device -> PBX over ${transport.toUpperCase()}: INVITE, 180, 200, ACK and BYE through the proxy`,
    async (t) => {
      const calls = 5;
      const pbx = await server_('call-uas.xml', PBX, pbxPort, calls);
      const device = sipp({
        scenario: 'call-uac.xml',
        transport: transport === 'udp' ? 'u1' : 't1',
        address: DEVICE,
        port: await freeUdpPort(DEVICE),
        calls,
        service: '200',
        remote: proxyAt(transport),
        cwd: workDir,
        keys: { domain: DOMAIN },
      });
      running.push(device);
      const [caller, callee] = await Promise.all([device, pbx.done]);
      t.true(sippSucceeded(caller, calls), sippOutput(caller));
      t.true(sippSucceeded(callee, calls), sippOutput(callee));
    },
  );
}

test.serial(
  'PBX -> registered device: the INVITE for its AOR reaches the device, which answers; BYE from the PBX',
  async (t) => {
    const devicePort = await freeUdpPort(DEVICE);
    await register('bob', '00000000-0000-4000-8000-00000000b0b1', devicePort);
    const phone = await server_('call-uas.xml', DEVICE, devicePort, 2);
    const pbx = sipp({
      scenario: 'call-uac.xml',
      transport: 'u1',
      address: PBX,
      port: pbxPort,
      calls: 2,
      service: 'bob',
      remote: proxyAt('udp'),
      cwd: workDir,
      keys: { domain: DOMAIN },
    });
    running.push(pbx);
    const [caller, callee] = await Promise.all([pbx, phone.done]);
    t.true(sippSucceeded(caller, 2), sippOutput(caller));
    t.true(sippSucceeded(callee, 2), sippOutput(callee));
  },
);

test.serial('CANCEL: the caller gives up while the PBX rings; 200 for the CANCEL, 487 for the INVITE', async (t) => {
  const pbx = await server_('call-cancelled-uas.xml', PBX, pbxPort, 3);
  const device = sipp({
    scenario: 'call-cancel-uac.xml',
    transport: 'u1',
    address: DEVICE,
    port: await freeUdpPort(DEVICE),
    calls: 3,
    service: '200',
    remote: proxyAt('udp'),
    cwd: workDir,
    keys: { domain: DOMAIN },
  });
  running.push(device);
  const [caller, callee] = await Promise.all([device, pbx.done]);
  t.true(sippSucceeded(caller, 3), sippOutput(caller));
  t.true(sippSucceeded(callee, 3), sippOutput(callee));
});

test.serial('forking to two devices: the first 2xx wins, the other device gets CANCEL and answers 487', async (t) => {
  const [answering, ringing] = [await freeUdpPort(DEVICE), await freeUdpPort(DEVICE)];
  await register('carol', '00000000-0000-4000-8000-0000000ca101', answering);
  await register('carol', '00000000-0000-4000-8000-0000000ca102', ringing);
  const first = await server_('call-uas.xml', DEVICE, answering, 1);
  const second = await server_('call-cancelled-uas.xml', DEVICE, ringing, 1);
  const pbx = sipp({
    scenario: 'call-forked-uac.xml',
    transport: 'u1',
    address: PBX,
    port: pbxPort,
    calls: 1,
    service: 'carol',
    remote: proxyAt('udp'),
    cwd: workDir,
    keys: { domain: DOMAIN },
  });
  running.push(pbx);
  const [caller, winner, loser] = await Promise.all([pbx, first.done, second.done]);
  t.true(sippSucceeded(caller, 1), sippOutput(caller));
  t.true(sippSucceeded(winner, 1), sippOutput(winner));
  t.true(sippSucceeded(loser, 1), `the other device was cancelled:\n${sippOutput(loser)}`);
});
