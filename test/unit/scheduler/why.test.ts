import test from 'ava';
import { scenario, stgCluster } from './scenario.js';

// `why`: one sentence for every (resource, node) pair that does not get the resource, the most useful one first.

test('every node that does not get a resource has a sentence, and only those', (t) => {
  const out = stgCluster().offline('stg3').failed('stg2', 'haproxy', 3).run();
  for (const [resource, nodes] of Object.entries(out.placement)) {
    const explained = Object.keys(out.why[resource] ?? {});
    t.deepEqual([...nodes, ...explained].sort(), ['stg1', 'stg2', 'stg3'], resource);
  }
});

test('offline comes before standby and failures', (t) => {
  const out = stgCluster().standby('stg2').offline('stg2').failed('stg2', 'haproxy', 3).run();
  t.is(out.why.haproxy?.stg2, 'offline');
});

test('standby comes before failures', (t) => {
  const out = stgCluster().standby('stg2').failed('stg2', 'haproxy', 3).run();
  t.is(out.why.haproxy?.stg2, 'standby');
});

test('unmanaged comes before failures', (t) => {
  const out = stgCluster().unmanaged('haproxy').failed('stg2', 'haproxy', 3).current('haproxy', 'stg1').run();
  t.is(out.why.haproxy?.stg2, 'unmanaged');
});

test("a node's own failures come before a missing dependency", (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg1')
    .resource('sip-proxy')
    .resource('haproxy', { after: ['sip-proxy'] })
    .failed('stg2', 'sip-proxy', 3)
    .failed('stg2', 'haproxy', 3)
    .run();
  t.is(out.why.haproxy?.stg2, 'ineligible: 3 failures in the last 600 s (threshold 3)');
});

test('on a follower, a missing dependency comes before "only on the leader"', (t) => {
  const out = stgCluster().unmanaged('haproxy').current('haproxy', 'stg1', 'stg3').run();
  t.is(out.why.vip?.stg2, 'dependency haproxy not placed on stg2');
  t.is(out.why.vip?.stg3, 'only on the leader (stg1)');
});

test('on a follower, ineligible to lead comes before "only on the leader"', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg1')
    .resource('vip', { placement: 'leader' })
    .resource('dns-publish', { placement: 'leader' })
    .failed('stg2', 'vip', 3)
    .run();
  t.deepEqual(out.why, {
    vip: { stg2: 'ineligible: 3 failures in the last 600 s (threshold 3)' },
    'dns-publish': { stg2: 'ineligible to lead: vip: 3 failures in the last 600 s (threshold 3)' },
  });
});

test('one failure is "1 failure"', (t) => {
  const out = scenario().nodes('stg1', 'stg2').leader('stg1').resource('dns', { migrationThreshold: 1 });
  t.is(out.failed('stg2', 'dns', 1).run().why.dns?.stg2, 'ineligible: 1 failure in the last 600 s (threshold 1)');
});

test('the standard cluster in its worst hour: every sentence at once', (t) => {
  const out = stgCluster()
    .nodes('stg4')
    .offline('stg4')
    .standby('stg3')
    .failed('stg2', 'haproxy', 3)
    .failed('stg1', 'vip', 3)
    .run();
  const vipFailed = 'vip: 3 failures in the last 600 s (threshold 3)';
  t.deepEqual(out, {
    placement: { haproxy: ['stg1'], 'sip-proxy': ['stg1', 'stg2'], vip: [] },
    why: {
      haproxy: {
        stg2: 'ineligible: 3 failures in the last 600 s (threshold 3)',
        stg3: 'standby',
        stg4: 'offline',
      },
      'sip-proxy': { stg3: 'standby', stg4: 'offline' },
      vip: {
        stg1: `ineligible to lead: ${vipFailed}; no eligible node to hand over to`,
        stg2: 'ineligible to lead: haproxy (needed by vip): 3 failures in the last 600 s (threshold 3)',
        stg3: 'standby',
        stg4: 'offline',
      },
    },
    ineligibleToLead: {
      stg1: vipFailed,
      stg2: 'haproxy (needed by vip): 3 failures in the last 600 s (threshold 3)',
      stg3: 'standby',
    },
    handover: { from: 'stg1', to: undefined, reason: vipFailed },
  });
});
