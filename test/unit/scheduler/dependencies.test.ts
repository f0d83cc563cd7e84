import test from 'ava';
import { scenario, stgCluster } from './scenario.js';

// `after` dependencies: a resource goes only where everything it needs goes too.

test('every-node after every-node: stops where its dependency failed, runs elsewhere', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2', 'stg3')
    .leader('stg1')
    .resource('sip-proxy')
    .resource('haproxy', { after: ['sip-proxy'] })
    .failed('stg3', 'sip-proxy', 3)
    .run();
  t.deepEqual(out.placement, { 'sip-proxy': ['stg1', 'stg2'], haproxy: ['stg1', 'stg2'] });
  t.deepEqual(out.why.haproxy, { stg3: 'dependency sip-proxy not placed on stg3' });
});

test('a chain of three every-node resources fails down the chain', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg1')
    .resource('a')
    .resource('b', { after: ['a'] })
    .resource('c', { after: ['b'] })
    .failed('stg2', 'a', 3)
    .run();
  t.deepEqual(out.placement, { a: ['stg1'], b: ['stg1'], c: ['stg1'] });
  t.deepEqual(out.why.c, { stg2: 'dependency b not placed on stg2' });
});

test('dependencies are resolved whatever their order in the definition', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg1')
    .resource('vip', { placement: 'leader', after: ['haproxy'] })
    .resource('haproxy', { after: ['sip-proxy'] })
    .resource('sip-proxy')
    .failed('stg2', 'sip-proxy', 3)
    .run();
  t.deepEqual(out.placement, { vip: ['stg1'], haproxy: ['stg1'], 'sip-proxy': ['stg1'] });
  t.deepEqual(Object.keys(out.placement), ['vip', 'haproxy', 'sip-proxy'], 'outputs keep definition order');
});

test('leader after every-node: the VIP runs on the leader with haproxy', (t) => {
  const out = stgCluster().run();
  t.deepEqual(out.placement.vip, ['stg1']);
  t.deepEqual(out.why.vip, { stg2: 'only on the leader (stg1)', stg3: 'only on the leader (stg1)' });
});

test('a dependency failing on a follower only does not touch the leader resource', (t) => {
  const out = stgCluster().failed('stg2', 'haproxy', 3).run();
  t.deepEqual(out.placement.vip, ['stg1']);
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg3']);
  t.is(out.why.vip?.stg2, 'ineligible to lead: haproxy (needed by vip): 3 failures in the last 600 s (threshold 3)');
});

test('a dependency that is unmanaged and not running on the leader keeps the VIP down there', (t) => {
  const out = stgCluster().unmanaged('haproxy').current('haproxy', 'stg2', 'stg3').run();
  t.deepEqual(out.placement.vip, []);
  t.is(out.why.vip?.stg1, 'dependency haproxy not placed on stg1');
  t.is(out.why.vip?.stg2, 'only on the leader (stg1)');
});

test('every-node after a leader resource runs on the leader only', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg1')
    .resource('vip', { placement: 'leader' })
    .resource('garp', { after: ['vip'] })
    .run();
  t.deepEqual(out.placement.garp, ['stg1']);
  t.deepEqual(out.why.garp, { stg2: 'dependency vip not placed on stg2' });
});

test('leader after leader: both on the leader; followers are told "only on the leader"', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg1')
    .resource('vip', { placement: 'leader' })
    .resource('dns-publish', { placement: 'leader', after: ['vip'] })
    .run();
  t.deepEqual(out.placement, { vip: ['stg1'], 'dns-publish': ['stg1'] });
  t.deepEqual(out.why['dns-publish'], { stg2: 'only on the leader (stg1)' });
});

test('a leader resource whose dependency follows the leader through a chain still says "only on the leader"', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader(undefined)
    .resource('vip', { placement: 'leader' })
    .resource('garp', { after: ['vip'] })
    .resource('dns-publish', { placement: 'leader', after: ['garp'] })
    .run();
  t.deepEqual(out.why['dns-publish'], { stg1: 'no leader', stg2: 'no leader' });
  t.deepEqual(out.why.garp, { stg1: 'dependency vip not placed on stg1', stg2: 'dependency vip not placed on stg2' });
});

test('the first missing dependency in `after` order is named', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg1')
    .resource('a')
    .resource('b')
    .resource('c', { after: ['a', 'b'] })
    .failed('stg2', 'a', 3)
    .failed('stg2', 'b', 3)
    .run();
  t.is(out.why.c?.stg2, 'dependency a not placed on stg2');
});

test('a leader resource stops when its dependency stops on the leader (a leader resource that failed)', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg1')
    .resource('vip', { placement: 'leader' })
    .resource('dns-publish', { placement: 'leader', after: ['vip'] })
    .failed('stg1', 'vip', 3)
    .run();
  t.deepEqual(out.placement, { vip: [], 'dns-publish': [] });
  const handingOver = `ineligible to lead: vip: 3 failures in the last 600 s (threshold 3); handing over to stg2`;
  t.is(out.why['dns-publish']?.stg1, handingOver);
});
