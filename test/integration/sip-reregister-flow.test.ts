import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import test from 'ava';
import { Redis } from 'ioredis';
import { RedisServer } from '../../src/local/redis-server.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { createSipTestPki, type SipTestPki } from '../fixtures/sip/tls-certs.js';
import { TcpUa, UdpUa, uaRequest, uaResponse } from '../fixtures/sip/ua.js';
import { waitFor } from '../helpers/wait.js';

// A device that registers its +sip.instance again over a new TLS connection has its old connection closed by the
// running stg-sip-proxy, unless another binding registered through the process still uses it. Node's TLS client
// (Debian's SIPp has no TLS) with the test's SIP reader; a UDP UA asks for the AOR to see which flow gets it.

const DOMAIN = 'flows.example.test';
let pki: SipTestPki;
let server: RedisServer;
let redis: Redis;
let proxy: ProxyProcess;
let workDir: string;
let caller: UdpUa;
const opened: TcpUa[] = [];

test.before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'stg-sip-reregister-'));
  pki = createSipTestPki();
  server = await RedisServer.start({ dir: join(workDir, 'redis'), durable: false });
  redis = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  await redis.connect();
  proxy = await ProxyProcess.start({
    listen: [
      {
        transport: 'tls',
        address: '127.0.0.1',
        port: 0,
        tls: { certFile: pki.ecdsa.certFile, keyFile: pki.ecdsa.keyFile },
      },
      { transport: 'udp', address: '127.0.0.1', port: 0 },
    ],
    limits: { exemptSources: ['127.0.0.1'] },
    dataStore: { host: server.host, port: server.port },
    registrar: { domains: [DOMAIN] },
  });
  await waitFor('the registrar connected to Redis', () =>
    proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
  );
  caller = await UdpUa.open('127.0.0.1');
});

test.after.always(async () => {
  for (const ua of opened) ua.close();
  caller?.close();
  await proxy?.stop();
  redis?.disconnect();
  await server?.stop('SIGKILL');
  pki?.remove();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function tlsUa(): Promise<TcpUa> {
  const port = proxy.listener('tls').port;
  const socket = connectTls({ host: '127.0.0.1', port, ca: pki.ca, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  const ua = TcpUa.wrap(socket);
  opened.push(ua);
  return ua;
}

/** REGISTERs `user` with `instance` over the connection; resolves with the 200. */
async function register(ua: TcpUa, user: string, instance: string, callId: string, cseq: number): Promise<void> {
  const text = [
    `REGISTER sip:${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/TLS ${ua.address}:${ua.port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
    'Max-Forwards: 70',
    `From: <sip:${user}@${DOMAIN}>;tag=r${cseq}`,
    `To: <sip:${user}@${DOMAIN}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${user}@${ua.address}:${ua.port};transport=tls>;+sip.instance="<urn:uuid:${instance}>"`,
    'Expires: 600',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  await ua.send(text);
  await ua.response(200, 'REGISTER');
}

const closedLines = () => proxy.logLines().filter((line) => /^closed the old flow of /.test(String(line['msg'])));

test.serial(
  're-REGISTER of the instance on a new connection: the old one is closed, the AOR is reached on the new',
  async (t) => {
    const instance = '00000000-0000-4000-8000-0000000a11ce';
    const first = await tlsUa();
    await register(first, 'alice', instance, 'alice-reg', 1);
    const second = await tlsUa();
    await register(second, 'alice', instance, 'alice-reg', 2);

    await waitFor('the proxy to close the first connection', () => first.isClosed, { timeoutMs: 5_000 });
    t.false(second.isClosed);
    const line = await waitFor('the log line', () => closedLines().at(-1));
    t.like(line, { level: 30, sip: { aor: `alice@${DOMAIN}`, instance: `"<urn:uuid:${instance}>"` } });
    t.regex(String(line?.['msg']), /: re-registered on connection [0-9a-f]{16}$/);
    t.is(Object.keys(await redis.hgetall(`fs:alice@${DOMAIN}`)).length, 1, 'one binding: replaced, not added');

    // An OPTIONS for the AOR from elsewhere arrives on the second connection, and its answer comes back.
    const proxyUdp = proxy.listener('udp');
    await caller.send(uaRequest('OPTIONS', `sip:alice@${DOMAIN}`, caller, { callId: 'to-alice' }), proxyUdp);
    const options = await second.request('OPTIONS', 'to-alice');
    await second.send(uaResponse(options, 200, 'OK'));
    t.is((await caller.response(200, 'OPTIONS')).callId(), 'to-alice');
  },
);

test.serial('the old connection carries another AOR of the device: it stays open', async (t) => {
  const instance = '00000000-0000-4000-8000-000000000b0b';
  const before = closedLines().length;
  const shared = await tlsUa();
  await register(shared, 'bob', instance, 'bob-reg', 1);
  await register(shared, 'carol', instance, 'carol-reg', 1);
  const next = await tlsUa();
  await register(next, 'bob', instance, 'bob-reg', 2);

  // The shared connection still works: carol is reached on it (and bob on the new one).
  const proxyUdp = proxy.listener('udp');
  await caller.send(uaRequest('OPTIONS', `sip:carol@${DOMAIN}`, caller, { callId: 'to-carol' }), proxyUdp);
  const options = await shared.request('OPTIONS', 'to-carol');
  await shared.send(uaResponse(options, 200, 'OK'));
  t.is((await caller.response(200, 'OPTIONS')).callId(), 'to-carol');
  await caller.send(uaRequest('OPTIONS', `sip:bob@${DOMAIN}`, caller, { callId: 'to-bob' }), proxyUdp);
  const forBob = await next.request('OPTIONS', 'to-bob');
  await next.send(uaResponse(forBob, 200, 'OK'));
  t.is((await caller.response(200, 'OPTIONS')).callId(), 'to-bob');
  t.false(shared.isClosed);
  t.is(closedLines().length, before, 'no flow closed');

  // Once carol moves too, nothing is left on the shared connection: it is closed.
  await register(next, 'carol', instance, 'carol-reg', 2);
  await waitFor('the proxy to close the shared connection', () => shared.isClosed, { timeoutMs: 5_000 });
  t.false(next.isClosed);
});
