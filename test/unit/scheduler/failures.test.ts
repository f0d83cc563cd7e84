import test from 'ava';
import { schedule } from '../../../src/scheduler/schedule.js';
import { NOW, scenario, stgCluster } from './scenario.js';

// Failure counts: a node is ineligible for a resource once its count within failureTimeoutMs reaches the threshold.

test('failures below the threshold keep an every-node resource in place', (t) => {
  const out = stgCluster().failed('stg2', 'haproxy', 2).run();
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg2', 'stg3']);
});

test('failures at the threshold take an every-node resource off that node only', (t) => {
  const out = stgCluster().failed('stg2', 'haproxy', 3).run();
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg3']);
  t.deepEqual(out.why.haproxy, { stg2: 'ineligible: 3 failures in the last 600 s (threshold 3)' });
  t.deepEqual(out.placement['sip-proxy'], ['stg1', 'stg2', 'stg3'], 'other resources stay');
});

test('failures above the threshold count as reached', (t) => {
  const out = stgCluster().failed('stg3', 'haproxy', 7).run();
  t.is(out.why.haproxy?.stg3, 'ineligible: 7 failures in the last 600 s (threshold 3)');
});

test('the threshold is per resource', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg1')
    .resource('dns', { migrationThreshold: 1 })
    .resource('haproxy', { migrationThreshold: 5 })
    .failed('stg2', 'dns', 1)
    .failed('stg2', 'haproxy', 4)
    .run();
  t.deepEqual(out.placement, { dns: ['stg1'], haproxy: ['stg1', 'stg2'] });
  t.is(out.why.dns?.stg2, 'ineligible: 1 failure in the last 600 s (threshold 1)');
});

test('failures older than failureTimeoutMs no longer count', (t) => {
  const out = stgCluster().failed('stg2', 'haproxy', 3, 600_001).run();
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg2', 'stg3']);
});

test('a count whose last failure is exactly failureTimeoutMs old has expired', (t) => {
  t.deepEqual(stgCluster().failed('stg2', 'haproxy', 3, 600_000).run().placement.haproxy, ['stg1', 'stg2', 'stg3']);
  t.deepEqual(stgCluster().failed('stg2', 'haproxy', 3, 599_999).run().placement.haproxy, ['stg1', 'stg3']);
});

test('the failure timeout is per resource, and the sentence shows it in seconds', (t) => {
  const build = () =>
    scenario()
      .nodes('stg1', 'stg2')
      .leader('stg1')
      .resource('dns', { failureTimeoutMs: 30_000 })
      .resource('haproxy', { failureTimeoutMs: 1_500 });
  const expired = build().failed('stg2', 'dns', 3, 40_000).failed('stg2', 'haproxy', 3, 2_000).run();
  t.deepEqual(expired.placement, { dns: ['stg1', 'stg2'], haproxy: ['stg1', 'stg2'] });
  const recent = build().failed('stg2', 'dns', 3, 20_000).failed('stg2', 'haproxy', 3, 1_000).run();
  t.deepEqual(recent.why, {
    dns: { stg2: 'ineligible: 3 failures in the last 30 s (threshold 3)' },
    haproxy: { stg2: 'ineligible: 3 failures in the last 1.5 s (threshold 3)' },
  });
});

test('several entries for one node and resource add up, each expiring on its own', (t) => {
  const counted = stgCluster().failed('stg2', 'haproxy', 2, 1_000).failed('stg2', 'haproxy', 1, 5_000).run();
  t.is(counted.why.haproxy?.stg2, 'ineligible: 3 failures in the last 600 s (threshold 3)');
  const oneExpired = stgCluster().failed('stg2', 'haproxy', 2, 1_000).failed('stg2', 'haproxy', 1, 700_000).run();
  t.deepEqual(oneExpired.placement.haproxy, ['stg1', 'stg2', 'stg3']);
});

test('failures of one resource do not touch another on the same node', (t) => {
  const out = stgCluster().failed('stg2', 'sip-proxy', 3).run();
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg2', 'stg3']);
  t.deepEqual(out.placement['sip-proxy'], ['stg1', 'stg3']);
});

test('failures of an unknown node or resource are ignored', (t) => {
  const out = stgCluster().failed('stg9', 'haproxy', 5).failed('stg2', 'gone', 5).run();
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg2', 'stg3']);
  t.deepEqual(out.ineligibleToLead, {});
});

test('time comes from input.now only', (t) => {
  const input = stgCluster().failed('stg2', 'haproxy', 3, 1_000).input();
  t.is(input.now, NOW);
  const later = { ...input, now: NOW + 600_000 };
  t.deepEqual(schedule(input).placement.haproxy, ['stg1', 'stg3']);
  t.deepEqual(schedule(later).placement.haproxy, ['stg1', 'stg2', 'stg3'], 'expired 599 s after the last failure');
});
