import test, { type ExecutionContext } from 'ava';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { AgentMetrics } from '../../../src/http/metrics.js';
import { HttpListenError, startAgentHttp, type AgentHttp } from '../../../src/http/server.js';
import { FakeView } from './fake-view.js';

interface Started {
  http: AgentHttp;
  base: string;
  view: FakeView;
  metrics: AgentMetrics;
  lines: Record<string, unknown>[];
}

/** A server on 127.0.0.1, an ephemeral port, a fake view; its log lines (debug and up) kept in `lines`. */
async function start(t: ExecutionContext, view = new FakeView(), port = 0): Promise<Started> {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level: 'debug', base: { node: view.node } }, sink);
  const metrics = new AgentMetrics(view, { processMetrics: false });
  const http = await startAgentHttp({ address: '127.0.0.1', port, view, metrics, log });
  t.teardown(() => http.close());
  return { http, base: `http://127.0.0.1:${http.port}`, view, metrics, lines };
}

/** Sends raw bytes and returns the whole response (the server closes or we ask it to). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

test('the port 0 case binds an ephemeral port', async (t) => {
  const { http, base } = await start(t);
  t.true(http.port > 0);
  t.is((await fetch(`${base}/health`)).status, 200);
});

test('GET /health: 200 with a majority, 503 "no quorum" without', async (t) => {
  const { base, view } = await start(t);
  let res = await fetch(`${base}/health`);
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'application/json; charset=utf-8');
  t.is(res.headers.get('cache-control'), 'no-store');
  t.deepEqual(await res.json(), { node: 'stg1', status: 'ok', quorum: true, leader: true, term: 7 });
  view.majority = false;
  res = await fetch(`${base}/health`);
  t.is(res.status, 503);
  t.deepEqual(await res.json(), { node: 'stg1', status: 'no quorum', quorum: false });
});

test('GET /leader: 200 on the leader of the current term, 503 elsewhere', async (t) => {
  const { base, view } = await start(t);
  let res = await fetch(`${base}/leader`);
  t.is(res.status, 200);
  t.deepEqual(await res.json(), { node: 'stg1', leader: true, term: 7, leaseLeftMs: 3250 });
  view.standby();
  res = await fetch(`${base}/leader`);
  t.is(res.status, 503);
  t.deepEqual(await res.json(), { node: 'stg1', leader: false, status: 'not the leader', termSeen: 7 });
});

test('GET /health/<resource>: 200 started, 503 stopped/failed/unknown, 404 unknown id', async (t) => {
  const { base } = await start(t);
  const status = async (id: string) => (await fetch(`${base}/health/${id}`)).status;
  t.is(await status('vip'), 200);
  t.is(await status('dummy'), 503);
  t.is(await status('dns'), 503);
  const res = await fetch(`${base}/health/sip-proxy`);
  t.is(res.status, 503);
  t.like(await res.json(), { state: 'failed', failcount: 3, lastFailure: { rcName: 'not running' } });
  const missing = await fetch(`${base}/health/nope`);
  t.is(missing.status, 404);
  t.deepEqual(await missing.json(), { node: 'stg1', status: 'unknown resource', resource: 'nope' });
});

test('HEAD answers the same status and headers without a body', async (t) => {
  const { http, base, view } = await start(t);
  for (const [path, expected] of [
    ['/health', 200],
    ['/leader', 200],
    ['/health/vip', 200],
    ['/health/dummy', 503],
    ['/health/nope', 404],
    ['/nope', 404],
    ['/metrics', 200],
  ] as const) {
    const get = await fetch(`${base}${path}`);
    const getBody = await get.text();
    const head = await fetch(`${base}${path}`, { method: 'HEAD' });
    t.is(head.status, expected, path);
    t.is(await head.text(), '', path);
    t.is(head.headers.get('content-type'), get.headers.get('content-type'), path);
    if (path !== '/metrics') t.is(head.headers.get('content-length'), String(Buffer.byteLength(getBody)), path);
  }
  view.standby();
  t.is((await fetch(`${base}/leader`, { method: 'HEAD' })).status, 503);
  // On the wire: headers, then nothing.
  const response = await raw(http.port, 'HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.regex(response, /^HTTP\/1\.1 200 OK\r\n/);
  t.true(response.endsWith('\r\n\r\n'));
});

test('GET /metrics: Prometheus text with the live values', async (t) => {
  const { base, view, metrics } = await start(t);
  metrics.observeRenew(3);
  metrics.countFailover('step-down');
  view.term = 8;
  const res = await fetch(`${base}/metrics`);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  t.regex(text, /^stg_ha_term 8$/m);
  t.regex(text, /^stg_ha_is_leader 1$/m);
  t.regex(text, /^stg_ha_renew_latency_seconds_count 1$/m);
  t.regex(text, /^stg_ha_failovers_total\{reason="step-down"\} 1$/m);
  t.regex(text, /^stg_ha_resource_state\{resource="sip-proxy",state="failed"\} 1$/m);
});

test('unknown paths are 404 JSON, other methods 405 with Allow', async (t) => {
  const { base } = await start(t);
  const notFound = await fetch(`${base}/`);
  t.is(notFound.status, 404);
  t.like(await notFound.json(), { status: 'not found' });
  t.is((await fetch(`${base}/leader/extra`)).status, 404);
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    const res = await fetch(`${base}/leader`, { method });
    t.is(res.status, 405, method);
    t.is(res.headers.get('allow'), 'GET, HEAD', method);
    t.like(await res.json(), { status: 'method not allowed' });
  }
  t.is((await fetch(`${base}/nope`, { method: 'POST' })).status, 404);
});

test('a malformed URL is 400 and the server keeps answering', async (t) => {
  const { http, base } = await start(t);
  const bad = await raw(http.port, 'GET /health/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.regex(bad, /^HTTP\/1\.1 400 Bad Request\r\n/);
  t.true(bad.endsWith('{"status":"bad request","reason":"malformed URL"}'));
  const noSlash = await raw(http.port, 'GET health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.regex(noSlash, /^HTTP\/1\.1 400 /);
  t.is((await fetch(`${base}/health`)).status, 200);
});

test('a request the HTTP parser rejects gets a 400 JSON answer, logged at warn', async (t) => {
  const { http, base, lines } = await start(t);
  const response = await raw(http.port, 'NOT A REQUEST\r\n\r\n');
  t.regex(response, /^HTTP\/1\.1 400 Bad Request\r\n/);
  t.true(response.endsWith('{"status":"bad request"}'));
  t.true(lines.some((l) => l['level'] === 40 && l['msg'] === 'bad request' && l['component'] === 'http'));
  t.is((await fetch(`${base}/health`)).status, 200);
});

test('one debug line per request, under component http, peer data nested', async (t) => {
  const { base, lines } = await start(t);
  await (await fetch(`${base}/leader?from=haproxy`)).text();
  const line = lines.find((l) => l['msg'] === 'request');
  t.like(line, {
    level: 20,
    component: 'http',
    node: 'stg1',
    http: { method: 'GET', url: '/leader?from=haproxy', status: 200, peer: '127.0.0.1' },
  });
});

test('a view that throws gives 500 and a warn line, and the server lives on', async (t) => {
  const view = new FakeView();
  const { base, lines } = await start(t, view);
  view.resources = () => {
    throw new Error('view broke');
  };
  const res = await fetch(`${base}/metrics`);
  t.is(res.status, 500);
  t.deepEqual(await res.json(), { status: 'internal error' });
  t.is((await fetch(`${base}/health/vip`)).status, 500);
  const warn = lines.find((l) => l['level'] === 40 && l['msg'] === 'request failed');
  t.like(warn, { component: 'http', err: { message: 'view broke' }, http: { method: 'GET', url: '/metrics' } });
  t.is((await fetch(`${base}/health`)).status, 200);
});

test('EADDRINUSE rejects with a message naming address:port', async (t) => {
  const first = await start(t);
  const error = await t.throwsAsync(start(t, new FakeView(), first.http.port), { instanceOf: HttpListenError });
  t.is(error?.code, 'STG_ERR_HTTP_LISTEN');
  t.is(
    error?.message,
    `agent HTTP endpoint cannot listen on 127.0.0.1:${first.http.port}: address already in use (another agent or service holds this port)`,
  );
  t.is((error?.cause as NodeJS.ErrnoException).code, 'EADDRINUSE');
});

test('a bad port rejects with a message naming it', async (t) => {
  const error = await t.throwsAsync(start(t, new FakeView(), 70_000), { instanceOf: HttpListenError });
  t.regex(error?.message ?? '', /^agent HTTP endpoint cannot listen on 127\.0\.0\.1:70000: /);
});

test('close is idempotent and frees the port, even with a keep-alive connection open', async (t) => {
  const { http, base } = await start(t);
  await (await fetch(`${base}/health`)).text(); // leaves a kept-alive socket in fetch's pool
  await http.close();
  await http.close();
  await t.throwsAsync(fetch(`${base}/health`));
  const again = await start(t, new FakeView(), http.port);
  t.is(again.http.port, http.port);
});
