import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Redis } from 'ioredis';
import { RedisServer } from '../../src/local/redis-server.js';
import { SipResponse, type SipMessage } from '../../src/sip/message/index.js';
import { waitFor } from '../helpers/wait.js';
import { ProxyProcess, type Listener } from '../fixtures/sip/proxy-process.js';
import { freeUdpPort } from '../fixtures/sip/sipp-run.js';
import { TcpUa, UdpUa, uaRequest, uaResponse } from '../fixtures/sip/ua.js';

/*
 * Issue 6, device flows across nodes: two stg-sip-proxy processes (A and B) on one data Redis, each stamping its own
 * Path (an internal TCP listener and an fs-proxy-id) on the registrations it accepts. A device registers over TCP
 * through A; the PBX (a UDP user agent on 127.0.0.2) calls it through B: B sends the INVITE through A's Path with
 * the flow reference, A delivers it on the device's connection. Nothing internal may reach the device or the PBX.
 * Everything on loopback; the processes are stopped by PID in test.after.always.
 */

const DOMAIN = 'sips.example.test';
const PBX = '127.0.0.2';
const ID_A = 'aaaaaaaaaaaaaaa1';
const ID_B = 'bbbbbbbbbbbbbbb2';
const AOR = `alice@${DOMAIN}`;

const dir = mkdtempSync(join(tmpdir(), 'stg-sip-cross-'));
let server: RedisServer;
let redis: Redis;
let proxyA: ProxyProcess;
let proxyB: ProxyProcess;
let pbx: UdpUa;
let device: TcpUa;
let internalA: number;
const sockets: TcpUa[] = [];

function proxyConfig(name: string, proxyId: string, internalPort: number, pbxPort: number) {
  return {
    node: name,
    listen: [
      { transport: 'udp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: '127.0.0.1', port: internalPort },
    ],
    limits: { exemptSources: ['127.0.0.1', PBX] },
    dataStore: { host: server.host, port: server.port },
    registrar: {
      domains: [DOMAIN],
      path: { uri: `sip:127.0.0.1:${internalPort};transport=tcp`, proxyId },
    },
    proxy: { pbx: { targets: [{ transport: 'udp', address: PBX, port: pbxPort }] } },
    pushWait: { enabled: false },
    // Authentication on, the other node not among the trusted sources: a request B sends through A's Path is not
    // challenged (B authenticated its caller), while anything else from B would be (the caller's domain has no
    // auth configuration here: 403).
    auth: { domains: { [DOMAIN]: { mode: 'pass-through' } } },
  };
}

/** The listener devices use (the first TCP one; the other is the internal listener of the Path). */
function deviceListener(proxy: ProxyProcess, internalPort: number): Listener {
  const found = proxy.listeners.find((l) => l.transport === 'tcp' && l.port !== internalPort);
  if (!found) throw new Error('no device TCP listener');
  return found;
}

test.before(async () => {
  server = await RedisServer.start({ dir: join(dir, 'redis'), durable: false });
  redis = new Redis({ host: server.host, port: server.port });
  pbx = await UdpUa.open(PBX);
  internalA = await freeUdpPort('127.0.0.1');
  let internalB = await freeUdpPort('127.0.0.1');
  while (internalB === internalA) internalB = await freeUdpPort('127.0.0.1');
  [proxyA, proxyB] = await Promise.all([
    ProxyProcess.start(proxyConfig('stg-a', ID_A, internalA, pbx.port)),
    ProxyProcess.start(proxyConfig('stg-b', ID_B, internalB, pbx.port)),
  ]);
  for (const proxy of [proxyA, proxyB]) {
    await waitFor('the registrar connected to Redis', () =>
      proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
    );
  }
  device = await TcpUa.connect(deviceListener(proxyA, internalA));
  sockets.push(device);
  await device.send(
    tcpRequest('REGISTER', `sip:${DOMAIN}`, device, {
      callId: 'reg-alice',
      from: `<sip:${AOR}>;tag=reg1`,
      to: `<sip:${AOR}>`,
      extra: [
        'Supported: path',
        `Contact: <${device.contact('alice')}>;+sip.instance="<urn:uuid:00000000-0000-4000-8000-00000000a11c>"`,
      ],
    }),
  );
  const ok = await device.response(200, 'REGISTER');
  if (!ok.headers.get('path')?.includes(`fs-proxy-id=${ID_A}`)) throw new Error('A did not stamp its Path');
});

test.after.always(async () => {
  for (const socket of sockets) socket.close();
  pbx?.close();
  await Promise.all([proxyA?.stop(), proxyB?.stop()]);
  redis?.disconnect();
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

let sequence = 0;

/** A request written by a TCP user agent (Via over TCP: answers come back on its connection). */
function tcpRequest(
  method: string,
  uri: string,
  ua: TcpUa,
  options: { callId: string; from: string; to: string; cseq?: number; branch?: string; extra?: string[] },
): string {
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/TCP ${ua.address}:${ua.port};branch=${options.branch ?? `z9hG4bKtcp${++sequence}`};rport`,
    'Max-Forwards: 70',
    `From: ${options.from}`,
    `To: ${options.to}`,
    `Call-ID: ${options.callId}`,
    `CSeq: ${options.cseq ?? 1} ${method}`,
    ...(options.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const responseTo =
  (callId: string, status: number, method = 'INVITE') =>
  (m: SipMessage) =>
    m instanceof SipResponse && m.callId() === callId && m.status === status && m.cseq().method === method;

const finalTo = (callId: string) => (m: SipMessage) =>
  m instanceof SipResponse && m.callId() === callId && m.status >= 200 && m.cseq().method === 'INVITE';

/** Nothing internal on the wire: no fs-* parameter (fs-proxy-id, fs-conn-id, fs-flow, fs-aor), no Path Route. */
function assertClean(t: import('ava').ExecutionContext, message: SipMessage, where: string): void {
  const text = message.toBuffer().toString();
  t.false(/fs-[a-z]+=/i.test(text), `${where}: no fs-* parameter\n${text}`);
  // A's Record-Route names the internal listener too, but with a flow token as user part; the Path has none.
  t.false(text.includes(`<sip:127.0.0.1:${internalA}`), `${where}: A's Path is not a Route`);
}

/** The PBX calls the AOR through B; the device gets the INVITE on its connection to A and answers 200. */
async function callThroughB(t: import('ava').ExecutionContext, callId: string) {
  await pbx.send(uaRequest('INVITE', `sip:${AOR}`, pbx, { callId }), proxyB.listener('udp'));
  const invite = await device.request('INVITE', callId);
  t.is(invite.uriText, device.contact('alice'), 'the Request-URI is the contact as registered');
  t.false(invite.headers.has('route'), 'no Route left for the device');
  assertClean(t, invite, 'INVITE at the device');
  const contact = `Contact: <${device.contact('alice')}>`;
  await device.send(uaResponse(invite, 200, 'OK', `dev-${callId}`, [contact]));
  const ok = (await pbx.next(`the 200 of ${callId}`, responseTo(callId, 200))).message as SipResponse;
  assertClean(t, ok, '200 at the PBX');
  return { invite, ok };
}

test.serial('a call through B reaches the device on its connection at A; ACK and BYE from the PBX', async (t) => {
  const callId = 'cross-1';
  const { invite, ok } = await callThroughB(t, callId);
  t.is(invite.recordRoutes().length, 4, 'A and B both record-route, twice each (they change listeners)');
  const routeSet = ok
    .recordRoutes()
    .map((rr) => rr.toString())
    .reverse();
  const inDialog = (method: string, cseq: number) =>
    uaRequest(method, device.contact('alice'), pbx, {
      callId,
      cseq,
      toTag: ok.to().tag ?? '',
      extra: [`Route: ${routeSet.join(', ')}`],
    });
  await pbx.send(inDialog('ACK', 1), proxyB.listener('udp'));
  assertClean(t, await device.request('ACK', callId), 'ACK at the device');
  await pbx.send(inDialog('BYE', 2), proxyB.listener('udp'));
  const bye = await device.request('BYE', callId);
  assertClean(t, bye, 'BYE at the device');
  t.is(bye.uriText, device.contact('alice'));
  await device.send(uaResponse(bye, 200, 'OK'));
  await pbx.next(`the 200 for BYE ${callId}`, responseTo(callId, 200, 'BYE'));
});

test.serial('the device hangs up: its BYE goes back through A and B to the PBX', async (t) => {
  const callId = 'cross-2';
  const { invite, ok } = await callThroughB(t, callId);
  await pbx.send(
    uaRequest('ACK', device.contact('alice'), pbx, {
      callId,
      toTag: ok.to().tag ?? '',
      extra: [`Route: ${ok.recordRoutes().map(String).reverse().join(', ')}`],
    }),
    proxyB.listener('udp'),
  );
  await device.request('ACK', callId);
  const pbxContact = invite.contacts().contacts[0]!.uri.toString();
  await device.send(
    tcpRequest('BYE', pbxContact, device, {
      callId,
      from: `${invite.headers.get('to')};tag=dev-${callId}`,
      to: invite.headers.get('from')!,
      extra: [`Route: ${invite.recordRoutes().map(String).join(', ')}`],
    }),
  );
  const bye = await pbx.request('BYE', callId);
  assertClean(t, bye.request, 'BYE at the PBX');
  t.is(bye.request.uriText, pbxContact);
  await pbx.send(uaResponse(bye.request, 200, 'OK'), bye.from);
  await device.next('the 200 for the BYE', responseTo(callId, 200, 'BYE'));
});

/** A node (or anyone) writing to A's internal listener: what A answers a request through its Path Route. */
async function throughPathOfA(
  callId: string,
  params: string,
  uri = device.contact('alice'),
  to = `<sip:${AOR}>`,
  listener: { address: string; port: number } = { address: '127.0.0.1', port: internalA },
): Promise<SipResponse> {
  const node = await TcpUa.connect(listener);
  sockets.push(node);
  const route = `Route: <sip:127.0.0.1:${internalA};transport=tcp;fs-proxy-id=${ID_A};lr${params}>`;
  await node.send(
    tcpRequest('MESSAGE', uri, node, { callId, from: `<sip:mallory@${DOMAIN}>;tag=m1`, to, extra: [route] }),
  );
  const answer = await node.next(
    `the final answer to ${callId}`,
    (m) => m instanceof SipResponse && m.callId() === callId && m.status >= 200,
  );
  node.close();
  return answer.message as SipResponse;
}

async function registeredConnectionId(): Promise<string> {
  const values = Object.values(await redis.hgetall(`fs:${AOR}`));
  const id = /fs-conn-id=([0-9a-f]+)/.exec(values[0] ?? '')?.[1];
  if (!id) throw new Error(`no fs-conn-id stored: ${values.join(' | ')}`);
  return id;
}

test.serial('a made-up or mismatched flow reference to A is answered 503 and never reaches the device', async (t) => {
  const before = device.seen.length;
  const real = await registeredConnectionId();
  const cases: [string, string, string?, string?][] = [
    ['forged-1', `;fs-flow=0123456789abcdef;fs-aor=${AOR.replace('@', '%40')}`],
    ['forged-2', ''],
    ['forged-3', `;fs-flow=${real};fs-aor=bob%40${DOMAIN}`],
    ['forged-4', `;fs-flow=${real}`, 'sip:alice@127.0.0.1:9;transport=tcp'],
  ];
  for (const [callId, params, uri, to] of cases) {
    const answer = await throughPathOfA(callId, params, uri, to);
    t.is(answer.status, 503, `${callId}: ${answer.startLine()}`);
    t.is(answer.reason, 'Unknown Flow', callId);
  }
  // A's public listener never delivers through the Path, even with the real reference.
  const onPublic = await throughPathOfA(
    'public-1',
    `;fs-flow=${real}`,
    undefined,
    undefined,
    deviceListener(proxyA, internalA),
  );
  t.is(onPublic.status, 403, onPublic.startLine());
  // The real reference (the AOR taken from To) is delivered: the check above refused only what is not the device's.
  const delivered = throughPathOfA('genuine-1', `;fs-flow=${real}`);
  const message = await device.request('MESSAGE', 'genuine-1');
  assertClean(t, message, 'MESSAGE at the device');
  await device.send(uaResponse(message, 200, 'OK'));
  t.is((await delivered).status, 200);
  t.is(device.seen.length, before + 1, 'the device saw only the genuine request');
});

test.serial(
  'the device is gone: A answers 503 Flow Gone, the caller through B gets 500, nothing pending',
  async (t) => {
    const real = await registeredConnectionId();
    device.close();
    // A hears of the close on its own; until then a request would still be sent (and fail) on the connection.
    let probe = 0;
    await waitFor('A to answer 503 Flow Gone for the closed connection', async () => {
      const answer = await throughPathOfA(`probe-${++probe}`, `;fs-flow=${real}`);
      return answer.status === 503 && answer.reason === 'Flow Gone';
    });
    const callId = 'cross-gone';
    await pbx.send(uaRequest('INVITE', `sip:${AOR}`, pbx, { callId, branch: 'z9hG4bKgone1' }), proxyB.listener('udp'));
    const final = (await pbx.next('the final answer', finalTo(callId))).message as SipResponse;
    t.is(final.status, 500, 'RFC 3261 16.7: a 503 from the next hop goes up as 500, not 503');
    t.is(final.reason, 'Service Unavailable Downstream');
    assertClean(t, final, 'the final answer at the PBX');
    await pbx.send(
      uaRequest('ACK', `sip:${AOR}`, pbx, { callId, branch: 'z9hG4bKgone1', toTag: final.to().tag ?? '' }),
      proxyB.listener('udp'),
    );
    t.is(pbx.count(finalTo(callId)), 1, 'one final answer');
    t.is(pbx.count(responseTo(callId, 200)), 0);
  },
);
