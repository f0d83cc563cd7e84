import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import { RedisServer } from '../../src/local/redis-server.js';
import type { SipMessage, SipUri } from '../../src/sip/message/index.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import {
  connectTlsDevice,
  deviceRequest,
  WsUa,
  type DeviceIdentity,
  type StreamDevice,
} from '../fixtures/sip/stream-device.js';
import { createSipTestPki, type SipTestPki } from '../fixtures/sip/tls-certs.js';
import { UdpUa, uaRequest, uaResponse } from '../fixtures/sip/ua.js';
import { waitFor } from '../helpers/wait.js';

// Calls through a running stg-sip-proxy (registrar on a real redis-server) to and from devices behind NAT on TLS
// and on WSS (RFC 7118): each registers from an address nobody can connect to, so the only way to reach it is the
// flow it opened. The PBX is a UDP user agent on 127.0.0.2 (the proxy's PBX target). The TLS device is Node's TLS
// client (Debian's SIPp has no TLS); the WSS device is Node's own WebSocket, trusting the test CA.

const DOMAIN = 'calls.example.test';
const PBX_DOMAIN = 'pbx.example.test';
let pki: SipTestPki;
let server: RedisServer;
let redis: Redis;
let proxy: ProxyProcess;
let workDir: string;
let pbx: UdpUa;
let udpAt: { address: string; port: number };
const devices: StreamDevice[] = [];

test.before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'stg-sip-tls-wss-'));
  pki = createSipTestPki();
  // Node's WebSocket takes no TLS options: the test CA joins this test process's default CAs (each test file is a
  // process of its own: ava's workerThreads is off).
  setDefaultCACertificates([...getCACertificates('default'), pki.ca.toString()]);
  server = await RedisServer.start({ dir: join(workDir, 'redis'), durable: false });
  redis = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  await redis.connect();
  pbx = await UdpUa.open('127.0.0.2');
  const tls = { certFile: pki.ecdsa.certFile, keyFile: pki.ecdsa.keyFile };
  proxy = await ProxyProcess.start({
    listen: [
      { transport: 'udp', address: '127.0.0.1', port: 0 },
      { transport: 'tls', address: '127.0.0.1', port: 0, tls },
      { transport: 'wss', address: '127.0.0.1', port: 0, path: '/sip', tls },
    ],
    limits: { exemptSources: ['127.0.0.1', '127.0.0.2'] },
    dataStore: { host: server.host, port: server.port },
    registrar: { domains: [DOMAIN] },
    proxy: { pbx: { targets: [{ transport: 'udp', address: '127.0.0.2', port: pbx.port }] } },
  });
  await waitFor('the registrar connected to Redis', () =>
    proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
  );
  udpAt = proxy.listener('udp');
});

test.after.always(async () => {
  for (const device of devices) device.close();
  pbx?.close();
  await proxy?.stop();
  redis?.disconnect();
  await server?.stop('SIGKILL');
  pki?.remove();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function tlsDevice(): Promise<StreamDevice> {
  const device = await connectTlsDevice(proxy.listener('tls'), pki.ca);
  devices.push(device);
  return device;
}

async function wssDevice(): Promise<StreamDevice> {
  const device = await WsUa.open(`wss://127.0.0.1:${proxy.listener('wss').port}/sip`);
  devices.push(device);
  return device;
}

const instanceOf = (name: string) => `<urn:uuid:00000000-0000-4000-8000-${name.padStart(12, '0')}>`;

/** Nothing internal on the wire: no fs-* parameter (fs-conn-id, fs-flow, fs-aor, fs-proxy-id). */
function assertClean(t: ExecutionContext, message: SipMessage, where: string): void {
  const text = message.toBuffer().toString();
  t.false(/fs-[a-z-]+=/i.test(text), `${where}: no fs-* parameter\n${text}`);
}

const recordRouteHops = (message: SipMessage) =>
  message.recordRoutes().map((rr) => {
    const uri = rr.uri as SipUri;
    return `${uri.transport ?? 'udp'} ${uri.port}`;
  });

/**
 * Registers `who` and checks its binding: the contact corrected to the address the REGISTER came from (the device's
 * Via names another host: it is behind NAT, as Flexisip's records show), its connection, its instance. Returns the
 * contact as stored (what the proxy sends to the device as its Request-URI).
 */
async function register(
  t: ExecutionContext,
  device: StreamDevice,
  who: DeviceIdentity,
  instance: string,
): Promise<string> {
  const text = deviceRequest('REGISTER', `sip:${DOMAIN}`, who, {
    callId: `reg-${who.aor}`,
    cseq: 1,
    to: `sip:${who.aor}`,
    contactParams: `;+sip.instance="${instance}"`,
    extra: ['Expires: 600'],
  });
  await device.send(text);
  const ok = await device.response(200, 'REGISTER');
  t.is(ok.callId(), `reg-${who.aor}`);
  const bindings = Object.values(await redis.hgetall(`fs:${who.aor}`));
  t.is(bindings.length, 1, bindings.join(' | '));
  const [, user, transport] = /^sip:([^@]+)@[^;]+;transport=(\w+)$/.exec(who.contact)!;
  const stored = new RegExp(`^<(sip:${user}@127\\.0\\.0\\.1:\\d+;transport=${transport});fs-conn-id=[0-9a-f]{16};`);
  const match = stored.exec(bindings[0]!);
  t.truthy(match, `the contact, corrected, and its connection: ${bindings[0]}`);
  t.true(bindings[0]!.includes(`+sip.instance="${instance}"`), bindings[0]);
  return match?.[1] ?? '';
}

/**
 * The PBX calls the device's AOR: the INVITE comes on the device's flow (its contact is unreachable otherwise),
 * clean, with our double Record-Route; 180 and 200 reach the PBX; ACK and BYE follow the Record-Route to the flow.
 */
async function pbxCalls(
  t: ExecutionContext,
  device: StreamDevice,
  who: DeviceIdentity,
  storedContact: string,
  transport: 'tls' | 'wss',
) {
  const callId = `pbx-calls-${who.aor}`;
  await pbx.send(uaRequest('INVITE', `sip:${who.aor}`, pbx, { callId }), udpAt);
  const invite = await device.request('INVITE', callId);
  t.is(invite.uriText, storedContact, 'the Request-URI is the contact as stored');
  t.false(invite.headers.has('route'));
  assertClean(t, invite, 'INVITE at the device');
  t.deepEqual(
    recordRouteHops(invite),
    [`${transport} ${proxy.listener(transport).port}`, `udp ${udpAt.port}`],
    'double Record-Route: the device side first, then the PBX side',
  );
  t.is(invite.topVia().transport.toLowerCase(), transport, 'the proxy sent it over the flow');

  const contact = `Contact: <${who.contact}>`;
  await device.send(uaResponse(invite, 180, 'Ringing', 'dev'));
  await device.send(uaResponse(invite, 200, 'OK', 'dev', [contact]));
  const ringing = await pbx.response(180, 'INVITE');
  const ok = await pbx.response(200, 'INVITE');
  t.is(ringing.callId(), callId);
  assertClean(t, ok, '200 at the PBX');
  const routes = ok
    .recordRoutes()
    .map((rr) => rr.toString())
    .reverse();
  const inDialog = (method: string, cseq: number) =>
    uaRequest(method, who.contact, pbx, { callId, cseq, toTag: 'dev', extra: [`Route: ${routes.join(', ')}`] });
  await pbx.send(inDialog('ACK', 1), udpAt);
  const ack = await device.request('ACK', callId);
  t.false(ack.headers.has('route'), 'both our Routes were consumed');
  await pbx.send(inDialog('BYE', 2), udpAt);
  const bye = await device.request('BYE', callId);
  assertClean(t, bye, 'BYE at the device');
  await device.send(uaResponse(bye, 200, 'OK', 'dev'));
  const byeOk = await pbx.response(200, 'BYE');
  t.is(byeOk.callId(), callId);
  t.false(device.isClosed, 'the flow stays open');
}

/**
 * The device calls a number at the PBX's domain: the PBX gets it with our Via and Record-Route; its 200 comes back
 * on the device's flow; the device's ACK and BYE (routed by the Record-Route) reach the PBX, and the 200 for BYE the
 * device.
 */
async function deviceCalls(t: ExecutionContext, device: StreamDevice, who: DeviceIdentity, transport: 'tls' | 'wss') {
  const callId = `device-calls-${who.aor}`;
  const uri = `sip:200@${PBX_DOMAIN}`;
  await device.send(deviceRequest('INVITE', uri, who, { callId, cseq: 1 }));
  const { request: invite, from } = await pbx.request('INVITE', callId);
  t.is(invite.uriText, uri, 'the Request-URI is left alone');
  const vias = invite.vias();
  t.is(vias.length, 2, 'our Via on top of the device');
  t.is(`${vias[0]!.transport} ${vias[0]!.host}:${vias[0]!.port}`, `UDP 127.0.0.1:${udpAt.port}`);
  t.is(vias[1]!.transport, transport.toUpperCase());
  t.is(vias[1]!.received, '127.0.0.1');
  t.true(typeof vias[1]!.rport === 'number', 'rport filled in');
  t.deepEqual(recordRouteHops(invite), [`udp ${udpAt.port}`, `${transport} ${proxy.listener(transport).port}`]);
  assertClean(t, invite, 'INVITE at the PBX');

  const pbxContact = `Contact: <${pbx.contact('200')}>`;
  await pbx.send(uaResponse(invite, 200, 'OK', 'pbx', [pbxContact]), from);
  const ok = await device.response(200, 'INVITE');
  t.is(ok.callId(), callId);
  assertClean(t, ok, '200 at the device');
  const routes = ok
    .recordRoutes()
    .map((rr) => rr.toString())
    .reverse();
  const inDialog = (method: string, cseq: number) =>
    deviceRequest(method, pbx.contact('200'), who, { callId, cseq, to: uri, toTag: 'pbx', routes });
  await device.send(inDialog('ACK', 1));
  const ack = await pbx.request('ACK', callId);
  t.false(ack.request.headers.has('route'), 'both our Routes were consumed');
  await device.send(inDialog('BYE', 2));
  const bye = await pbx.request('BYE', callId);
  await pbx.send(uaResponse(bye.request, 200, 'OK', 'pbx'), bye.from);
  const byeOk = await device.response(200, 'BYE');
  t.is(byeOk.callId(), callId);
}

test.serial('TLS device (ECDSA certificate): registers, the PBX calls it on its connection, it hangs up', async (t) => {
  const device = await tlsDevice();
  const alice: DeviceIdentity = {
    via: 'TLS 10.0.0.99:5062',
    contact: 'sip:alice@10.0.0.99:5062;transport=tls',
    aor: `alice@${DOMAIN}`,
  };
  await pbxCalls(t, device, alice, await register(t, device, alice, instanceOf('a11ce')), 'tls');
});

test.serial('TLS device calls the PBX: the 200 comes back on its connection, ACK and BYE go through', async (t) => {
  const device = await tlsDevice();
  const bob: DeviceIdentity = {
    via: 'TLS 10.0.0.98:5062',
    contact: 'sip:bob@10.0.0.98:5062;transport=tls',
    aor: `bob@${DOMAIN}`,
  };
  await deviceCalls(t, device, bob, 'tls');
});

test.serial("WSS device (Node's WebSocket): registers, is called by the PBX, then calls it", async (t) => {
  const device = await wssDevice();
  const carol: DeviceIdentity = {
    via: 'WSS df7jal23ls0d.invalid',
    contact: 'sip:k3x9qz@df7jal23ls0d.invalid;transport=ws',
    aor: `carol@${DOMAIN}`,
  };
  await pbxCalls(t, device, carol, await register(t, device, carol, instanceOf('ca401')), 'wss');
  await deviceCalls(t, device, carol, 'wss');
});
