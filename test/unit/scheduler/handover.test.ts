import test from 'ava';
import { scenario, stgCluster } from './scenario.js';

// Ineligible to lead, and the handover of an ineligible leader.

const VIP_FAILED = 'vip: 3 failures in the last 600 s (threshold 3)';

test('a standby leader hands over to the next node, and its leader resources stop first', (t) => {
  const out = stgCluster().standby('stg1').run();
  t.deepEqual(out.ineligibleToLead, { stg1: 'standby' });
  t.deepEqual(out.handover, { from: 'stg1', to: 'stg2', reason: 'standby' });
  t.deepEqual(out.placement, { haproxy: ['stg2', 'stg3'], 'sip-proxy': ['stg2', 'stg3'], vip: [] });
  t.deepEqual(out.why.vip, { stg1: 'standby', stg2: 'only on the leader (stg1)', stg3: 'only on the leader (stg1)' });
});

test('a leader whose leader resource reached its threshold hands over', (t) => {
  const out = stgCluster().failed('stg1', 'vip', 3).run();
  t.deepEqual(out.ineligibleToLead, { stg1: VIP_FAILED });
  t.deepEqual(out.handover, { from: 'stg1', to: 'stg2', reason: VIP_FAILED });
  t.deepEqual(out.placement.vip, []);
  t.is(out.why.vip?.stg1, `ineligible to lead: ${VIP_FAILED}; handing over to stg2`);
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg2', 'stg3'], 'every-node resources stay on the old leader');
});

test('the successor skips standby, offline and ineligible nodes', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2', 'stg3', 'stg4', 'stg5')
    .leader('stg1')
    .standby('stg2')
    .offline('stg3')
    .resource('vip', { placement: 'leader' })
    .failed('stg1', 'vip', 3)
    .failed('stg4', 'vip', 3)
    .run();
  t.is(out.handover?.to, 'stg5');
  t.deepEqual(out.ineligibleToLead, { stg1: VIP_FAILED, stg2: 'standby', stg4: VIP_FAILED });
});

test('no eligible node: the handover names nobody and the leader resources stay stopped', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg1')
    .offline('stg2')
    .resource('vip', { placement: 'leader' })
    .failed('stg1', 'vip', 3)
    .run();
  t.deepEqual(out.handover, { from: 'stg1', to: undefined, reason: VIP_FAILED });
  t.deepEqual(out.placement.vip, []);
  t.deepEqual(out.why.vip, {
    stg1: `ineligible to lead: ${VIP_FAILED}; no eligible node to hand over to`,
    stg2: 'offline',
  });
});

test('expired failures make a node eligible to lead again (no cleanup needed)', (t) => {
  const out = stgCluster().failed('stg1', 'vip', 3, 700_000).run();
  t.deepEqual(out.ineligibleToLead, {});
  t.is(out.handover, undefined);
  t.deepEqual(out.placement.vip, ['stg1']);
});

test('a follower at the threshold of a leader resource is ineligible but the leader keeps leading', (t) => {
  const out = stgCluster().failed('stg3', 'vip', 4).run();
  t.deepEqual(out.ineligibleToLead, { stg3: 'vip: 4 failures in the last 600 s (threshold 3)' });
  t.is(out.handover, undefined);
  t.deepEqual(out.placement.vip, ['stg1']);
  t.is(out.why.vip?.stg3, 'ineligible: 4 failures in the last 600 s (threshold 3)');
});

test('an offline node keeps its ineligibility (it must not campaign when it comes back)', (t) => {
  const out = stgCluster().offline('stg2').failed('stg2', 'vip', 3).run();
  t.deepEqual(out.ineligibleToLead, { stg2: VIP_FAILED });
});

test('every leader resource that failed too often is named', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg2')
    .resource('vip', { placement: 'leader' })
    .resource('dns-publish', { placement: 'leader', migrationThreshold: 1, failureTimeoutMs: 60_000 })
    .failed('stg1', 'vip', 3)
    .failed('stg1', 'dns-publish', 1, 10_000)
    .run();
  t.is(out.ineligibleToLead.stg1, `${VIP_FAILED}; dns-publish: 1 failure in the last 60 s (threshold 1)`);
});

test('standby is the reason shown for a standby node that also failed too often', (t) => {
  const out = stgCluster().standby('stg2').failed('stg2', 'vip', 3).run();
  t.deepEqual(out.ineligibleToLead, { stg2: 'standby' });
});

test('failures of an every-node resource nothing leader-only needs do not affect leading', (t) => {
  const out = stgCluster().failed('stg1', 'sip-proxy', 3).run();
  t.deepEqual(out.ineligibleToLead, {});
  t.is(out.handover, undefined);
  t.deepEqual(out.placement.vip, ['stg1']);
  t.deepEqual(out.placement['sip-proxy'], ['stg2', 'stg3']);
});

test('a leader where a dependency of the VIP failed too often hands over (the VIP could not run there)', (t) => {
  const out = stgCluster().failed('stg1', 'haproxy', 3).run();
  const reason = 'haproxy (needed by vip): 3 failures in the last 600 s (threshold 3)';
  t.deepEqual(out.ineligibleToLead, { stg1: reason });
  t.deepEqual(out.handover, { from: 'stg1', to: 'stg2', reason });
  t.deepEqual(out.placement.vip, []);
  t.deepEqual(out.placement.haproxy, ['stg2', 'stg3']);
});

test('a dependency needed through a chain also counts, naming every leader resource that needs it', (t) => {
  const out = scenario()
    .nodes('stg1', 'stg2')
    .leader('stg2')
    .resource('sip-proxy')
    .resource('haproxy', { after: ['sip-proxy'] })
    .resource('vip', { placement: 'leader', after: ['haproxy'] })
    .resource('dns-publish', { placement: 'leader', after: ['sip-proxy'] })
    .failed('stg1', 'sip-proxy', 3)
    .run();
  t.deepEqual(out.ineligibleToLead, {
    stg1: 'sip-proxy (needed by vip, dns-publish): 3 failures in the last 600 s (threshold 3)',
  });
});

test('the successor is a node where the leader resources can run, before node-id order', (t) => {
  // haproxy is unmanaged and runs on stg3 only: stg2 is eligible, but the VIP could not start there.
  const out = stgCluster().unmanaged('haproxy').current('haproxy', 'stg1', 'stg3').failed('stg1', 'vip', 3).run();
  t.is(out.handover?.to, 'stg3');
  t.is(out.why.vip?.stg1, `ineligible to lead: ${VIP_FAILED}; handing over to stg3`);
});

test('when no eligible node could run the leader resources, node-id order decides', (t) => {
  const out = stgCluster().unmanaged('haproxy').current('haproxy', 'stg1').failed('stg1', 'vip', 3).run();
  t.is(out.handover?.to, 'stg2');
});

test('in maintenance an ineligible leader is reported but does not hand over', (t) => {
  const out = stgCluster().maintenance().standby('stg1').failed('stg1', 'vip', 3).current('vip', 'stg1').run();
  t.deepEqual(out.ineligibleToLead, { stg1: 'standby' });
  t.is(out.handover, undefined);
  t.deepEqual(out.placement.vip, ['stg1']);
});
