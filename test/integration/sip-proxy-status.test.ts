import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { RedisServer } from '../../src/local/redis-server.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { TcpUa, UdpUa, uaRequest } from '../fixtures/sip/ua.js';
import { waitFor } from '../helpers/wait.js';

// The status endpoint of a running stg-sip-proxy (registrar on a real redis-server): a device registers over TCP,
// sends an OPTIONS (200) and, from a UDP user agent, a MESSAGE to the proxy itself (405); /metrics and /status must
// show exactly that. Then the data Redis is frozen (SIGSTOP): /health says 503 and why, a REGISTER is not stored.

const DOMAIN = 'status.example.test';
let proxy: ProxyProcess;
let server: RedisServer;
let workDir: string;
let base: string;

test.before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'stg-proxy-status-'));
  server = await RedisServer.start({ dir: join(workDir, 'redis'), durable: false });
  proxy = await ProxyProcess.start({
    node: 'edge-status',
    listen: [
      { transport: 'udp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: '127.0.0.1', port: 0 },
    ],
    // One connection per source: a second one from 127.0.0.1 is an overload rejection (reason "connections").
    limits: { tcpConnectionsPerSource: 1 },
    dataStore: { host: server.host, port: server.port },
    registrar: { domains: [DOMAIN], writeTimeoutMs: 300 },
    status: { address: '127.0.0.1', port: 0 },
  });
  if (!proxy.status) throw new Error('the ready line names no status endpoint');
  base = `http://127.0.0.1:${proxy.status.port}`;
  await waitFor('the registrar connected to Redis', () =>
    proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
  );
});

test.after.always(async () => {
  server?.resume();
  await proxy?.stop();
  await server?.stop('SIGKILL');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** The value of one sample of the Prometheus text (labels written in the order given), else undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const written = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(',');
  const prefix = written ? `${name}{${written}} ` : `${name} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

async function metrics(): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

async function status(): Promise<Record<string, unknown>> {
  return (await (await fetch(`${base}/status`)).json()) as Record<string, unknown>;
}

function tcpRequest(device: TcpUa, method: string, uri: string, callId: string, extra: string[] = []): string {
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/TCP ${device.address}:${device.port};branch=z9hG4bK${callId};rport`,
    'Max-Forwards: 70',
    `From: <sip:erin@${DOMAIN}>;tag=${callId}`,
    `To: <${method === 'REGISTER' ? `sip:erin@${DOMAIN}` : uri}>`,
    `Call-ID: ${callId}`,
    `CSeq: 1 ${method}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

test.serial(
  '/metrics and /status count the registration, the responses by class, the messages and the flows',
  async (t) => {
    const before = await metrics();
    t.is(sample(before, 'stg_sip_transactions'), 0);
    t.is(sample(before, 'stg_sip_flows', { transport: 'tcp' }), 0);
    t.is(sample(before, 'stg_sip_registers_total', { result: 'stored' }), 0);
    t.is(sample(before, 'stg_sip_registrations'), 0);
    t.true(sample(before, 'stg_sip_process_cpu_user_seconds_total')! >= 0, 'default process metrics, prefixed');

    const tcpAt = proxy.listener('tcp');
    const udpAt = proxy.listener('udp');
    const device = await TcpUa.connect(tcpAt);
    t.teardown(() => device.close());
    await device.send(
      tcpRequest(device, 'REGISTER', `sip:${DOMAIN}`, 'status-reg', [
        `Contact: <sip:erin@${device.address}:${device.port};transport=tcp>`,
        'Expires: 600',
      ]),
    );
    await device.response(200, 'REGISTER');
    await device.send(tcpRequest(device, 'OPTIONS', `sip:${tcpAt.address}:${tcpAt.port};transport=tcp`, 'status-opt'));
    await device.response(200, 'OPTIONS');
    const ua = await UdpUa.open();
    t.teardown(() => ua.close());
    await ua.send(uaRequest('MESSAGE', `sip:${udpAt.address}:${udpAt.port}`, ua, { callId: 'status-msg' }), udpAt);
    await ua.response(405, 'MESSAGE');

    // A second connection from the same address is over tcpConnectionsPerSource: closed by the proxy.
    const refused = connect({ host: tcpAt.address, port: tcpAt.port });
    refused.on('error', () => undefined);
    t.teardown(() => refused.destroy());
    await waitFor('the second connection to be closed', () => refused.closed);

    const text = await metrics();
    t.is(sample(text, 'stg_sip_registers_total', { result: 'stored' }), 1);
    t.is(sample(text, 'stg_sip_registers_total', { result: 'rejected' }), 0);
    t.is(sample(text, 'stg_sip_responses_sent_total', { class: '2xx' }), 2, 'the REGISTER and the OPTIONS');
    t.is(sample(text, 'stg_sip_responses_sent_total', { class: '4xx' }), 1, 'the MESSAGE');
    t.is(sample(text, 'stg_sip_responses_sent_total', { class: '5xx' }), 0);
    t.is(sample(text, 'stg_sip_messages_received_total', { transport: 'tcp' }), 2);
    t.is(sample(text, 'stg_sip_messages_received_total', { transport: 'udp' }), 1);
    t.is(sample(text, 'stg_sip_parse_errors_total'), 0);
    t.is(sample(text, 'stg_sip_flows', { transport: 'tcp' }), 1, 'the device is connected');
    t.true(sample(text, 'stg_sip_transactions')! >= 1, 'the MESSAGE over UDP stays in Completed (Timer J)');
    t.is(sample(text, 'stg_sip_overload_rejections_total', { reason: 'connections' }), 1);
    t.is(sample(text, 'stg_sip_overload_rejections_total', { reason: 'register' }), 0);
    t.is(sample(text, 'stg_sip_push_waits_pending'), 0);
    t.is(sample(text, 'stg_sip_push_waits_total', { outcome: 'answered' }), 0);

    // The live count is read with the data Redis probe, at most once a second.
    await waitFor(
      'the live registration in /metrics',
      async () => sample(await metrics(), 'stg_sip_registrations') === 1,
    );
    const json = await status();
    t.like(json, {
      node: 'edge-status',
      pid: proxy.pid,
      dataStore: 'up',
      registrations: { live: 1, stored: 1, rejected: 0, overload: 0, storeFailed: 0 },
      responses: { '1xx': 0, '2xx': 2, '3xx': 0, '4xx': 1, '5xx': 0, '6xx': 0 },
      flows: { tcp: 1, tls: 0, ws: 0, wss: 0, total: 1 },
      overloadRejections: 1,
      pushWaits: { pending: 0, max: 10_000 },
    });
    t.deepEqual(json['listeners'], [
      { transport: 'udp', address: '127.0.0.1', port: udpAt.port },
      { transport: 'tcp', address: '127.0.0.1', port: tcpAt.port },
    ]);
    t.true(Date.parse(String(json['startedAt'])) <= Date.now());

    // The device signs out: a removal, counted apart from the writes.
    await device.send(
      tcpRequest(device, 'REGISTER', `sip:${DOMAIN}`, 'status-unreg', [
        `Contact: <sip:erin@${device.address}:${device.port};transport=tcp>`,
        'Expires: 0',
      ]),
    );
    await device.response(200, 'REGISTER');
    const signedOut = await metrics();
    t.is(sample(signedOut, 'stg_sip_registers_total', { result: 'removed' }), 1);
    t.is(sample(signedOut, 'stg_sip_registers_total', { result: 'stored' }), 1);
    await waitFor(
      'no live registration in /metrics',
      async () => sample(await metrics(), 'stg_sip_registrations') === 0,
    );
    t.like(await status(), { registrations: { live: 0, removed: 1 } });

    device.close();
    await waitFor(
      'the flow to be gone from /metrics',
      async () => sample(await metrics(), 'stg_sip_flows', { transport: 'tcp' }) === 0,
    );
    t.like(await status(), { flows: { tcp: 0, total: 0 } });
  },
);

test.serial('/health is 503 with a reason while the data Redis does not answer, 200 again after', async (t) => {
  const ok = await fetch(`${base}/health`);
  t.is(ok.status, 200);
  t.like(await ok.json(), { status: 'ok', node: 'edge-status', listeners: 2, dataStore: 'up' });

  server.pause();
  t.teardown(() => server.resume());
  const down = await waitFor('/health to say 503', async () => {
    const response = await fetch(`${base}/health`);
    return response.status === 503 ? ((await response.json()) as Record<string, unknown>) : undefined;
  });
  t.like(down, { status: 'unhealthy', dataStore: 'down' });
  t.regex(String(down['reason']), /data Redis 127\.0\.0\.1:\d+ did not answer PING within 1000 ms/);
  t.like(await status(), { dataStore: 'down', registrations: { live: null } });
  t.true(Number.isNaN(sample(await metrics(), 'stg_sip_registrations')), 'the live count is unknown, not 0');

  // A REGISTER now is not confirmed within writeTimeoutMs: 503, counted as store_failed and as a 5xx.
  const ua = await UdpUa.open();
  t.teardown(() => ua.close());
  const udpAt = proxy.listener('udp');
  await ua.send(
    uaRequest('REGISTER', `sip:${DOMAIN}`, ua, {
      callId: 'status-frozen',
      from: `sip:frank@${DOMAIN}`,
      extra: ['Expires: 600'],
    }),
    udpAt,
  );
  await ua.response(503, 'REGISTER');
  const text = await metrics();
  t.is(sample(text, 'stg_sip_registers_total', { result: 'store_failed' }), 1);
  t.is(sample(text, 'stg_sip_responses_sent_total', { class: '5xx' }), 1);

  server.resume();
  await waitFor('/health to say 200 again', async () => (await fetch(`${base}/health`)).status === 200);
  t.pass();
});

test.serial('unknown paths get 404, other methods 405 with Allow, HEAD the headers only', async (t) => {
  const missing = await fetch(`${base}/nothing-here`);
  t.is(missing.status, 404);
  t.deepEqual(((await missing.json()) as { routes: string[] }).routes, ['/metrics', '/status', '/health']);
  const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
  t.is(post.status, 405);
  t.is(post.headers.get('allow'), 'GET, HEAD');
  const head = await fetch(`${base}/status?x=1`, { method: 'HEAD' });
  t.is(head.status, 200);
  t.true(Number(head.headers.get('content-length')) > 0);
  t.is(await head.text(), '');
});
