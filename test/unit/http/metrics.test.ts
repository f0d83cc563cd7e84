import test from 'ava';
import { register as globalRegistry } from 'prom-client';
import { AgentMetrics, FAILOVER_REASONS, RENEW_LATENCY_BUCKETS } from '../../../src/http/metrics.js';
import { FakeView, resource } from './fake-view.js';

/** The value of one sample line, e.g. value(text, 'stg_ha_resource_state{resource="vip",state="started"}'). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const metricsOf = (view = new FakeView()) => new AgentMetrics(view, { processMetrics: false });

test('scalar gauges read the view at scrape time', async (t) => {
  const view = new FakeView();
  const metrics = metricsOf(view);
  let text = (await metrics.render()).text;
  t.is(value(text, 'stg_ha_term'), 7);
  t.is(value(text, 'stg_ha_is_leader'), 1);
  t.is(value(text, 'stg_ha_lease_remaining_seconds'), 3.25);
  t.is(value(text, 'stg_ha_quorum'), 1);
  t.is(value(text, 'stg_ha_event_loop_lag_seconds'), 0.012);

  view.standby().term = 9;
  view.majority = false;
  view.lagMs = 250;
  text = (await metrics.render()).text;
  t.is(value(text, 'stg_ha_term'), 9);
  t.is(value(text, 'stg_ha_is_leader'), 0);
  t.is(value(text, 'stg_ha_lease_remaining_seconds'), 0);
  t.is(value(text, 'stg_ha_quorum'), 0);
  t.is(value(text, 'stg_ha_event_loop_lag_seconds'), 0.25);
});

test('resource state: 1 for the current state, 0 for the others; failcount per resource; removed ones vanish', async (t) => {
  const view = new FakeView();
  const metrics = metricsOf(view);
  let text = (await metrics.render()).text;
  t.is(value(text, 'stg_ha_resource_state{resource="vip",state="started"}'), 1);
  t.is(value(text, 'stg_ha_resource_state{resource="vip",state="stopped"}'), 0);
  t.is(value(text, 'stg_ha_resource_state{resource="vip",state="failed"}'), 0);
  t.is(value(text, 'stg_ha_resource_state{resource="vip",state="unknown"}'), 0);
  t.is(value(text, 'stg_ha_resource_state{resource="sip-proxy",state="failed"}'), 1);
  t.is(value(text, 'stg_ha_resource_state{resource="dummy",state="stopped"}'), 1);
  t.is(value(text, 'stg_ha_resource_state{resource="dns",state="unknown"}'), 1);
  t.is(value(text, 'stg_ha_resource_failcount{resource="sip-proxy"}'), 3);
  t.is(value(text, 'stg_ha_resource_failcount{resource="vip"}'), 0);

  view.list = [resource({ id: 'vip', state: 'failed', failcount: 1 })];
  text = (await metrics.render()).text;
  t.is(value(text, 'stg_ha_resource_state{resource="vip",state="started"}'), 0);
  t.is(value(text, 'stg_ha_resource_state{resource="vip",state="failed"}'), 1);
  t.is(value(text, 'stg_ha_resource_failcount{resource="vip"}'), 1);
  t.false(text.includes('resource="sip-proxy"'));
});

test('renew latency histogram: milliseconds in, seconds out, LAN buckets', async (t) => {
  const metrics = metricsOf();
  metrics.observeRenew(0.3);
  metrics.observeRenew(2);
  metrics.observeRenew(40);
  metrics.observeRenew(900);
  metrics.observeRenew(Number.NaN); // ignored
  metrics.observeRenew(-1); // ignored
  const text = (await metrics.render()).text;
  t.is(value(text, 'stg_ha_renew_latency_seconds_bucket{le="0.0005"}'), 1);
  t.is(value(text, 'stg_ha_renew_latency_seconds_bucket{le="0.0025"}'), 2);
  t.is(value(text, 'stg_ha_renew_latency_seconds_bucket{le="0.05"}'), 3);
  t.is(value(text, 'stg_ha_renew_latency_seconds_bucket{le="0.5"}'), 3);
  t.is(value(text, 'stg_ha_renew_latency_seconds_bucket{le="+Inf"}'), 4);
  t.is(value(text, 'stg_ha_renew_latency_seconds_count'), 4);
  t.true(Math.abs(value(text, 'stg_ha_renew_latency_seconds_sum')! - 0.9423) < 1e-9);
  const les = [...text.matchAll(/stg_ha_renew_latency_seconds_bucket\{le="([^"]+)"\}/g)].map((m) => m[1]);
  t.deepEqual(les, [...RENEW_LATENCY_BUCKETS.map(String), '+Inf']);
});

test('failovers are counted by reason, every reason exported from 0', async (t) => {
  const metrics = metricsOf();
  metrics.countFailover('crash');
  metrics.countFailover('crash');
  metrics.countFailover('switchover');
  const text = (await metrics.render()).text;
  t.is(value(text, 'stg_ha_failovers_total{reason="crash"}'), 2);
  t.is(value(text, 'stg_ha_failovers_total{reason="switchover"}'), 1);
  for (const reason of ['failover', 'step-down', 'handover']) {
    t.is(value(text, `stg_ha_failovers_total{reason="${reason}"}`), 0, reason);
  }
  t.is(FAILOVER_REASONS.length, 5);
  t.regex(text, /# TYPE stg_ha_failovers_total counter/);
});

test('every metric has HELP and TYPE, in the Prometheus text format', async (t) => {
  const { text, contentType } = await metricsOf().render();
  t.regex(contentType, /^text\/plain; version=0\.0\.4/);
  const types: Record<string, string> = {
    stg_ha_term: 'gauge',
    stg_ha_is_leader: 'gauge',
    stg_ha_lease_remaining_seconds: 'gauge',
    stg_ha_renew_latency_seconds: 'histogram',
    stg_ha_resource_state: 'gauge',
    stg_ha_resource_failcount: 'gauge',
    stg_ha_event_loop_lag_seconds: 'gauge',
    stg_ha_failovers_total: 'counter',
    stg_ha_quorum: 'gauge',
  };
  for (const [name, type] of Object.entries(types)) {
    t.true(text.includes(`# HELP ${name} `), name);
    t.true(text.includes(`# TYPE ${name} ${type}\n`), name);
  }
  t.false(text.includes('process_'), 'no process metrics when disabled');
});

test('process metrics are prefixed stg_ and the global registry stays empty', async (t) => {
  const metrics = new AgentMetrics(new FakeView());
  const text = (await metrics.render()).text;
  t.regex(text, /^stg_process_cpu_seconds_total \d/m);
  t.regex(text, /^stg_nodejs_heap_size_used_bytes \d/m);
  t.notRegex(text, /^(process|nodejs)_/m);
  t.is(value(text, 'stg_ha_term'), 7);
  t.deepEqual(await globalRegistry.getMetricsAsJSON(), []);
});

test('two instances do not clash (each has its own registry)', async (t) => {
  const a = metricsOf();
  const b = metricsOf();
  a.countFailover('handover');
  t.is(value((await a.render()).text, 'stg_ha_failovers_total{reason="handover"}'), 1);
  t.is(value((await b.render()).text, 'stg_ha_failovers_total{reason="handover"}'), 0);
});
