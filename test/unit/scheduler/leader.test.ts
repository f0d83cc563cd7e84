import test from 'ava';
import { scenario, stgCluster } from './scenario.js';

// `leader` placement: the leader's node only, when it may lead.

test('a leader resource runs on the leader only', (t) => {
  const out = scenario().nodes('stg1', 'stg2', 'stg3').leader('stg2').resource('vip', { placement: 'leader' }).run();
  t.deepEqual(out.placement, { vip: ['stg2'] });
  t.deepEqual(out.why, { vip: { stg1: 'only on the leader (stg2)', stg3: 'only on the leader (stg2)' } });
  t.deepEqual(out.ineligibleToLead, {});
  t.is(out.handover, undefined);
});

test('no leader: leader resources are placed nowhere, every-node ones still run', (t) => {
  const out = stgCluster().leader(undefined).run();
  t.deepEqual(out.placement, {
    haproxy: ['stg1', 'stg2', 'stg3'],
    'sip-proxy': ['stg1', 'stg2', 'stg3'],
    vip: [],
  });
  t.deepEqual(out.why.vip, { stg1: 'no leader', stg2: 'no leader', stg3: 'no leader' });
  t.is(out.handover, undefined);
});

test('no leader: an offline node says offline rather than no leader', (t) => {
  const out = stgCluster().leader(undefined).offline('stg3').run();
  t.deepEqual(out.why.vip, { stg1: 'no leader', stg2: 'no leader', stg3: 'offline' });
});

test('a single-node cluster runs everything on its only node', (t) => {
  const out = scenario()
    .nodes('stg1')
    .leader('stg1')
    .resource('haproxy')
    .resource('vip', { placement: 'leader' })
    .run();
  t.deepEqual(out.placement, { haproxy: ['stg1'], vip: ['stg1'] });
  t.deepEqual(out.why, { haproxy: {}, vip: {} });
});

test('a leader seen offline gets no leader resources and no handover (its lease expires on its own)', (t) => {
  const out = stgCluster().offline('stg1').run();
  t.deepEqual(out.placement.vip, []);
  t.deepEqual(out.why.vip, { stg1: 'offline', stg2: 'only on the leader (stg1)', stg3: 'only on the leader (stg1)' });
  t.is(out.handover, undefined);
  t.deepEqual(out.ineligibleToLead, {});
});

test('a leader missing from the node list gets nothing', (t) => {
  const out = stgCluster().leader('stg9').run();
  t.deepEqual(out.placement.vip, []);
  t.deepEqual(out.why.vip, {
    stg1: 'only on the leader (stg9)',
    stg2: 'only on the leader (stg9)',
    stg3: 'only on the leader (stg9)',
  });
  t.is(out.handover, undefined);
});

test('a standby follower does not stop the leader resources', (t) => {
  const out = stgCluster().standby('stg2').run();
  t.deepEqual(out.placement.vip, ['stg1']);
  t.is(out.why.vip?.stg2, 'standby');
  t.deepEqual(out.ineligibleToLead, { stg2: 'standby' });
  t.is(out.handover, undefined);
});

test('several leader resources all run on the leader', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg1')
    .resource('vip', { placement: 'leader' })
    .resource('dns-publish', { placement: 'leader' })
    .run();
  t.deepEqual(out.placement, { vip: ['stg1'], 'dns-publish': ['stg1'] });
});

test('a leader resource with failures below its threshold stays on the leader', (t) => {
  const out = stgCluster().failed('stg1', 'vip', 2).run();
  t.deepEqual(out.placement.vip, ['stg1']);
  t.deepEqual(out.ineligibleToLead, {});
  t.is(out.handover, undefined);
});
