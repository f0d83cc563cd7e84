import test from 'ava';
import { scenario, stgCluster } from './scenario.js';

// `every-node` (and, for now, `promotable`) placement.

test('an every-node resource runs on every online node', (t) => {
  const out = scenario().nodes('stg1', 'stg2', 'stg3').leader('stg1').resource('haproxy').run();
  t.deepEqual(out.placement, { haproxy: ['stg1', 'stg2', 'stg3'] });
  t.deepEqual(out.why, { haproxy: {} });
});

test('offline nodes get no every-node resources', (t) => {
  const out = stgCluster().offline('stg2', 'stg3').run();
  t.deepEqual(out.placement.haproxy, ['stg1']);
  t.deepEqual(out.why.haproxy, { stg2: 'offline', stg3: 'offline' });
  t.deepEqual(out.why['sip-proxy'], { stg2: 'offline', stg3: 'offline' });
});

test('a standby node is emptied of every-node resources', (t) => {
  const out = stgCluster().standby('stg3').run();
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg2']);
  t.deepEqual(out.placement['sip-proxy'], ['stg1', 'stg2']);
  t.deepEqual(out.why.haproxy, { stg3: 'standby' });
});

test('an every-node resource runs without a leader', (t) => {
  const out = scenario().nodes('stg1', 'stg2').leader(undefined).resource('dns').run();
  t.deepEqual(out.placement.dns, ['stg1', 'stg2']);
});

test('promotable is placed like every-node for now', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2', 'stg3')
    .leader('stg2')
    .standby('stg3')
    .resource('redis-data', { placement: 'promotable' })
    .failed('stg1', 'redis-data', 3)
    .run();
  t.deepEqual(out.placement['redis-data'], ['stg2']);
  t.deepEqual(out.why['redis-data'], {
    stg1: 'ineligible: 3 failures in the last 600 s (threshold 3)',
    stg3: 'standby',
  });
});

test('a node coming back online gets every-node resources and displaces nothing', (t) => {
  const before = stgCluster().offline('stg3').current('vip', 'stg1').current('haproxy', 'stg1', 'stg2').run();
  const after = stgCluster().current('vip', 'stg1').current('haproxy', 'stg1', 'stg2').run();
  t.deepEqual(before.placement.vip, ['stg1']);
  t.deepEqual(after.placement.vip, ['stg1']);
  t.deepEqual(after.placement.haproxy, ['stg1', 'stg2', 'stg3']);
  t.deepEqual(after.why.haproxy, {});
});

test('no nodes at all: every resource is placed nowhere, with nothing to explain', (t) => {
  const out = scenario().leader(undefined).resource('haproxy').resource('vip', { placement: 'leader' }).run();
  t.deepEqual(out.placement, { haproxy: [], vip: [] });
  t.deepEqual(out.why, { haproxy: {}, vip: {} });
});

test('an empty definition places nothing', (t) => {
  const out = scenario().nodes('stg1').leader('stg1').run();
  t.deepEqual(out, { placement: {}, why: {}, ineligibleToLead: {}, handover: undefined });
});
