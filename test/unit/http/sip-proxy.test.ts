import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { sipProxyHealthReply } from '../../../src/http/routes.js';
import { getFromProxy, mergeMetrics } from '../../../src/http/sip-proxy-client.js';
import { summarize } from '../../../src/agent/sip-proxy-status.js';
import { FakeView, resource } from './fake-view.js';

// The agent's side of this node's stg-sip-proxy: reads bounded in time, the metrics merge, /health/sip-proxy.

const AGENT_TEXT = [
  '# HELP stg_ha_term Highest leadership term this agent has seen.',
  '# TYPE stg_ha_term gauge',
  'stg_ha_term 7',
  '# HELP stg_process_cpu_seconds_total Total user and system CPU time spent in seconds.',
  '# TYPE stg_process_cpu_seconds_total counter',
  'stg_process_cpu_seconds_total 1.5',
  '',
].join('\n');

const PROXY_TEXT = [
  '# HELP stg_process_cpu_seconds_total Total user and system CPU time spent in seconds.',
  '# TYPE stg_process_cpu_seconds_total counter',
  'stg_process_cpu_seconds_total 9.25',
  '# HELP stg_sip_push_waits_pending Calls and messages waiting for a pushed device.',
  '# TYPE stg_sip_push_waits_pending gauge',
  'stg_sip_push_waits_pending 2',
  '# HELP stg_sip_responses_total Responses sent, by class.',
  '# TYPE stg_sip_responses_total counter',
  'stg_sip_responses_total{class="2xx"} 10',
  'stg_sip_responses_total{class="4xx"} 1',
  '',
].join('\n');

test('the proxy metrics follow the agent own, without a family twice, and stg_sip_proxy_up says it answered', (t) => {
  const merged = mergeMetrics(AGENT_TEXT, { ok: true, status: 200, contentType: 'text/plain', text: PROXY_TEXT });
  t.regex(merged, /^stg_sip_push_waits_pending 2$/m);
  t.regex(merged, /^stg_sip_responses_total\{class="4xx"\} 1$/m);
  t.regex(merged, /^stg_sip_proxy_up 1$/m);
  t.regex(merged, /^stg_process_cpu_seconds_total 1\.5$/m, "the agent's own process metrics kept");
  t.notRegex(merged, /9\.25/, "the proxy's process metrics left out: the same family twice breaks a scrape");
  const types = [...merged.matchAll(/^# TYPE (\S+)/gm)].map((match) => match[1]);
  t.deepEqual(types, [...new Set(types)], 'each family declared once');
  t.true(merged.endsWith('\n'));
});

test('a proxy that does not answer, or answers an error, leaves the agent metrics whole with stg_sip_proxy_up 0', (t) => {
  for (const proxy of [
    { ok: false as const, reason: 'ECONNREFUSED' },
    { ok: true as const, status: 500, contentType: 'text/plain', text: 'stg_sip_x 1\n' },
  ]) {
    const merged = mergeMetrics(AGENT_TEXT, proxy);
    t.true(merged.startsWith(AGENT_TEXT.trimEnd()));
    t.regex(merged, /^stg_sip_proxy_up 0$/m);
    t.notRegex(merged, /stg_sip_x/);
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test('a read of the proxy gives up after its timeout and says why; a closed port is named', async (t) => {
  const { url, server } = await serve(() => undefined); // accepts, never answers
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const started = performance.now();
  t.deepEqual(await getFromProxy(url, '/metrics', 150), { ok: false, reason: 'no answer in time' });
  t.true(performance.now() - started < 2000, 'bounded by the timeout, not by a socket default');
  const closed = await serve(() => undefined);
  const closedUrl = closed.url;
  await new Promise((resolve) => closed.server.close(resolve));
  t.deepEqual(await getFromProxy(closedUrl, '/health', 500), { ok: false, reason: 'ECONNREFUSED' });
});

test('a read of the proxy returns its status and body', async (t) => {
  const { url, server } = await serve((req, res) => {
    res.writeHead(req.url === '/health' ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url }));
  });
  t.teardown(() => server.close());
  t.like(await getFromProxy(url, '/health'), { ok: true, status: 503, text: '{"path":"/health"}' });
  t.like(await getFromProxy(url, '/status'), { ok: true, status: 200, contentType: 'application/json' });
});

const proxyOk = { ok: true as const, status: 200, contentType: 'application/json', text: '{"status":"ok"}' };

test('/health/sip-proxy: 200 with the proxy own body, 503 with the reason when it is down or says so', (t) => {
  const view = new FakeView();
  view.list = view.list.filter((r) => r.id !== 'sip-proxy');
  t.like(sipProxyHealthReply(view, proxyOk), {
    status: 200,
    body: { node: 'stg1', status: 'ok', proxy: { status: 'ok' } },
  });
  t.like(sipProxyHealthReply(view, { ok: false, reason: 'ECONNREFUSED' }), {
    status: 503,
    body: { status: 'unhealthy', reason: 'unreachable', detail: 'ECONNREFUSED' },
  });
  const unhealthy = { ...proxyOk, status: 503, text: '{"status":"unhealthy","reason":"data store down"}' };
  t.like(sipProxyHealthReply(view, unhealthy), { status: 503, body: { reason: 'data store down' } });
  t.like(sipProxyHealthReply(view, { ...proxyOk, status: 500, text: 'oops' }), {
    status: 503,
    body: { reason: 'the proxy answered 500', proxy: null },
  });
  t.like(sipProxyHealthReply(view, undefined), { status: 404, body: { status: 'not configured' } });
});

test('/health/sip-proxy includes the sip-proxy resource of this node, and is 503 while it is not started', (t) => {
  const view = new FakeView(); // its sip-proxy resource has failed
  t.like(sipProxyHealthReply(view, proxyOk), {
    status: 503,
    body: { reason: 'resource sip-proxy is failed on this node', resource: { id: 'sip-proxy', state: 'failed' } },
  });
  view.list = [resource({ id: 'sip-proxy', placement: 'every-node', state: 'started' })];
  t.like(sipProxyHealthReply(view, proxyOk), { status: 200, body: { resource: { state: 'started' } } });
  // Without sipProxy in the node file, the resource is reported as any resource is.
  t.like(sipProxyHealthReply(view, undefined), { status: 200, body: { resource: 'sip-proxy', state: 'started' } });
});

test('the heartbeat summary takes the few numbers of /status, and calls a body it cannot read unreachable', (t) => {
  const at = '2026-01-01T00:00:00.000Z';
  const status = {
    node: 'stg1',
    dataStore: 'up',
    transactions: 4,
    flows: { tcp: 2, tls: 1, ws: 0, wss: 0, total: 3 },
    pushWaits: { pending: 1, max: 1000 },
    registrations: { live: 7, stored: 9, removed: 2 },
  };
  t.deepEqual(summarize(JSON.stringify(status), at), {
    flows: 3,
    transactions: 4,
    pushPending: 1,
    registrations: 7,
    dataStore: 'up',
    at,
  });
  t.like(summarize(JSON.stringify({ ...status, pushWaits: null, dataStore: 'none', registrations: null }), at), {
    pushPending: null,
    registrations: null,
    dataStore: 'none',
  });
  t.like(summarize(JSON.stringify({ ...status, registrations: { live: null } }), at), { registrations: null });
  t.like(summarize('<html>', at), { unreachable: true, reason: '/status is not a JSON object' });
  t.like(summarize('{"flows":1}', at), { unreachable: true, reason: '/status lacks flows or transactions' });
});
