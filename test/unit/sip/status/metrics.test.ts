import test from 'ava';
import { zeroPushWaitCounters } from '../../../../src/sip/proxy/push-wait.js';
import type { RegistrarCounters } from '../../../../src/sip/registrar/registrar.js';
import { healthReply, matchStatusRoute, SipProxyMetrics, statusSnapshot } from '../../../../src/sip/status/index.js';
import type { DataStoreState, StatusSources } from '../../../../src/sip/status/index.js';
import { TransportCounters, type ListenSpec } from '../../../../src/sip/transport/index.js';

/** Proxy parts as plain objects: the counters are changed by the tests, the endpoint must read them live. */
function fakeSources(options: { registrar?: boolean; pushWaits?: boolean; listeners?: ListenSpec[] } = {}) {
  const transport = new TransportCounters();
  const registrar: RegistrarCounters = {
    stored: 0,
    removed: 0,
    fetched: 0,
    retransmissions: 0,
    rejected: 0,
    overloaded: 0,
    storeFailures: 0,
  };
  const push = zeroPushWaitCounters();
  const listeners: ListenSpec[] = options.listeners ?? [{ transport: 'udp', address: '127.0.0.1', port: 5060 }];
  let store: DataStoreState = { up: true, at: 0 };
  const size = { server: 0, client: 0 };
  const sources: StatusSources = {
    node: 'edge1',
    startedAt: new Date('2026-01-02T03:04:05.000Z'),
    configuredListeners: 1,
    transports: { counters: transport, listeners: () => listeners },
    registrar: options.registrar === false ? undefined : { counters: registrar, pending: 3, flows: { size: 7 } },
    transactions: () => size.server + size.client,
    pushWaits: options.pushWaits === false ? undefined : { counters: push, max: 50 },
    dataStore: { state: async () => store },
  };
  return { sources, transport, registrar, push, size, listeners, setStore: (s: DataStoreState) => (store = s) };
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('every metric reads the counters at scrape time, under its name and labels', async (t) => {
  const fake = fakeSources();
  const metrics = new SipProxyMetrics(fake.sources, { processMetrics: false });
  const before = (await metrics.render()).text;
  t.is(sample(before, 'stg_sip_registers_total{result="stored"}'), 0);

  Object.assign(fake.registrar, {
    stored: 5,
    removed: 4,
    fetched: 1,
    retransmissions: 2,
    rejected: 3,
    overloaded: 4,
    storeFailures: 6,
  });
  Object.assign(fake.transport, {
    responses1xx: 1,
    responses2xx: 2,
    responses6xx: 6,
    deliveredUdp: 10,
    deliveredWss: 11,
    answeredMalformed: 2,
    droppedMalformed: 3,
    tcpConnectionsRefused: 8,
    rateLimited: 9,
    tcpConnectionsOpen: 4,
    tlsConnectionsOpen: 1,
    wsConnectionsOpen: 2,
  });
  Object.assign(fake.push, {
    pending: 2,
    answered: 1,
    cancelled: 2,
    timedOut: 3,
    gone: 4,
    overloaded: 5,
    pushesQueued: 6,
  });
  fake.size.server = 3;
  fake.size.client = 2;
  fake.setStore({ up: true, at: 0, registrations: 12 });

  const { contentType, text } = await metrics.render();
  t.regex(contentType, /^text\/plain/);
  const expected: Record<string, number> = {
    'stg_sip_registers_total{result="stored"}': 5,
    'stg_sip_registers_total{result="removed"}': 4,
    'stg_sip_registers_total{result="fetched"}': 1,
    'stg_sip_registers_total{result="retransmission"}': 2,
    'stg_sip_registers_total{result="rejected"}': 3,
    'stg_sip_registers_total{result="overload"}': 4,
    'stg_sip_registers_total{result="store_failed"}': 6,
    stg_sip_registers_in_flight: 3,
    stg_sip_registrar_flows: 7,
    stg_sip_registrations: 12,
    stg_sip_transactions: 5,
    'stg_sip_responses_sent_total{class="1xx"}': 1,
    'stg_sip_responses_sent_total{class="2xx"}': 2,
    'stg_sip_responses_sent_total{class="4xx"}': 0,
    'stg_sip_responses_sent_total{class="6xx"}': 6,
    'stg_sip_flows{transport="tcp"}': 1,
    'stg_sip_flows{transport="tls"}': 1,
    'stg_sip_flows{transport="ws"}': 2,
    'stg_sip_flows{transport="wss"}': 0,
    'stg_sip_overload_rejections_total{reason="register"}': 4,
    'stg_sip_overload_rejections_total{reason="push_wait"}': 5,
    'stg_sip_overload_rejections_total{reason="connections"}': 8,
    'stg_sip_overload_rejections_total{reason="rate"}': 9,
    stg_sip_push_waits_pending: 2,
    'stg_sip_push_waits_total{outcome="answered"}': 1,
    'stg_sip_push_waits_total{outcome="cancelled"}': 2,
    'stg_sip_push_waits_total{outcome="timed_out"}': 3,
    'stg_sip_push_waits_total{outcome="gone"}': 4,
    'stg_sip_push_jobs_total{result="queued"}': 6,
    'stg_sip_messages_received_total{transport="udp"}': 10,
    'stg_sip_messages_received_total{transport="wss"}': 11,
    'stg_sip_messages_received_total{transport="tcp"}': 0,
    stg_sip_parse_errors_total: 5,
  };
  for (const [series, value] of Object.entries(expected)) t.is(sample(text, series), value, series);
  t.regex(text, /# TYPE stg_sip_registers_total counter/);
  t.regex(text, /# TYPE stg_sip_flows gauge/);
  t.notRegex(text, /process_cpu/, 'process metrics only when asked for');
});

test('without a registrar or push waits their series are left out; WebSocket flows by kind', async (t) => {
  const fake = fakeSources({
    registrar: false,
    pushWaits: false,
    listeners: [
      { transport: 'ws', address: '127.0.0.1', port: 80 },
      { transport: 'wss', address: '127.0.0.1', port: 443 },
    ],
  });
  fake.transport.tcpConnectionsOpen = 3;
  fake.transport.wsConnectionsOpen = 3;
  fake.transport.wssConnectionsOpen = 2;
  const text = (await new SipProxyMetrics(fake.sources, { processMetrics: false }).render()).text;
  t.notRegex(text, /stg_sip_registers_total/);
  t.notRegex(text, /stg_sip_registrations/);
  t.notRegex(text, /stg_sip_push_waits/);
  t.is(sample(text, 'stg_sip_flows{transport="wss"}'), 2);
  t.is(sample(text, 'stg_sip_flows{transport="ws"}'), 1);
  t.is(sample(text, 'stg_sip_flows{transport="tcp"}'), 0);
  t.is(sample(text, 'stg_sip_overload_rejections_total{reason="register"}'), 0);

  const snapshot = await statusSnapshot(fake.sources);
  t.is(snapshot.registrations, null);
  t.is(snapshot.pushWaits, null);
  t.deepEqual(snapshot.flows, { tcp: 0, tls: 0, ws: 1, wss: 2, total: 3 });
});

test('/status: the JSON snapshot of the same counters', async (t) => {
  const fake = fakeSources();
  Object.assign(fake.registrar, { stored: 2, rejected: 1, overloaded: 1, storeFailures: 1 });
  Object.assign(fake.transport, { responses2xx: 2, responses4xx: 1, rateLimited: 2 });
  Object.assign(fake.push, { pending: 1, overloaded: 3 });
  fake.size.server = 1;
  t.deepEqual(await statusSnapshot(fake.sources), {
    node: 'edge1',
    pid: process.pid,
    startedAt: '2026-01-02T03:04:05.000Z',
    listeners: [{ transport: 'udp', address: '127.0.0.1', port: 5060 }],
    dataStore: 'up',
    registrations: { live: null, stored: 2, removed: 0, fetched: 0, rejected: 1, overload: 1, storeFailed: 1 },
    transactions: 1,
    responses: { '1xx': 0, '2xx': 2, '3xx': 0, '4xx': 1, '5xx': 0, '6xx': 0 },
    flows: { tcp: 0, tls: 0, ws: 0, wss: 0, total: 0 },
    overloadRejections: 6,
    pushWaits: { pending: 1, max: 50 },
  });
});

test('/health: 503 with the reason when a listener is missing, the data Redis is down, or the proxy stops', async (t) => {
  const fake = fakeSources();
  t.like(await healthReply(fake.sources), { status: 200, body: { status: 'ok', listeners: 1, dataStore: 'up' } });
  fake.setStore({ up: false, reason: 'data Redis 127.0.0.1:6379 not connected (reconnecting)', at: 0 });
  t.like(await healthReply(fake.sources), {
    status: 503,
    body: { status: 'unhealthy', dataStore: 'down', reason: 'data Redis 127.0.0.1:6379 not connected (reconnecting)' },
  });
  fake.setStore({ up: true, at: 0 });
  fake.listeners.pop();
  t.like(await healthReply(fake.sources), { status: 503, body: { reason: '0 of 1 listeners bound' } });
  fake.listeners.push({ transport: 'udp', address: '127.0.0.1', port: 5060 });
  t.like(await healthReply(fake.sources, true), {
    status: 503,
    body: { reason: 'stopping: the proxy is shutting down' },
  });
  t.like(await healthReply({ ...fake.sources, dataStore: undefined }), { status: 200, body: { dataStore: 'none' } });
});

test('routes: the three paths for GET and HEAD, 404 elsewhere, 405 with Allow, 400 for a target that is no path', (t) => {
  t.is(matchStatusRoute('GET', '/metrics'), 'metrics');
  t.is(matchStatusRoute('HEAD', '/status?verbose=1'), 'status');
  t.is(matchStatusRoute('GET', 'http://127.0.0.1:5081/health'), 'health');
  t.like(matchStatusRoute('GET', '/metrics/'), { status: 404 });
  t.like(matchStatusRoute('DELETE', '/nothing'), { status: 404 }, 'the path first, whatever the method');
  t.like(matchStatusRoute('POST', '/health'), { status: 405, headers: { allow: 'GET, HEAD' } });
  t.like(matchStatusRoute('GET', '*'), { status: 400 });
  t.like(matchStatusRoute('GET', 'http://[bad/x'), { status: 400 });
});
