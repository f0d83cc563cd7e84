import test from 'ava';
import { stgCluster } from './scenario.js';

// Maintenance freezes every resource where it runs; an unmanaged resource is frozen alone.

const MAINTENANCE = 'maintenance: nothing is started or stopped';

test('maintenance: placement is the current placement, nothing starts', (t) => {
  const out = stgCluster().maintenance().current('haproxy', 'stg1', 'stg2').current('vip', 'stg1').run();
  t.deepEqual(out.placement, { haproxy: ['stg1', 'stg2'], 'sip-proxy': [], vip: ['stg1'] });
  t.deepEqual(out.why.haproxy, { stg3: MAINTENANCE });
  t.deepEqual(out.why['sip-proxy'], { stg1: MAINTENANCE, stg2: MAINTENANCE, stg3: MAINTENANCE });
  t.deepEqual(out.why.vip, { stg2: MAINTENANCE, stg3: MAINTENANCE });
});

test('maintenance keeps a resource on a node that is now offline or standby', (t) => {
  const out = stgCluster()
    .maintenance()
    .offline('stg2')
    .standby('stg3')
    .current('haproxy', 'stg1', 'stg2', 'stg3')
    .current('sip-proxy', 'stg1')
    .run();
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg2', 'stg3']);
  t.deepEqual(out.why['sip-proxy'], { stg2: 'offline', stg3: 'standby' }, 'offline and standby come first');
});

test('maintenance keeps a leader resource that runs on a follower (nothing moves)', (t) => {
  const out = stgCluster().maintenance().current('vip', 'stg2').current('haproxy', 'stg2').run();
  t.deepEqual(out.placement.vip, ['stg2']);
  t.is(out.why.vip?.stg1, MAINTENANCE);
});

test('maintenance keeps a resource that failed too often where it runs, and ignores dependencies', (t) => {
  const out = stgCluster().maintenance().failed('stg2', 'haproxy', 5).current('haproxy', 'stg1', 'stg2').run();
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg2']);
  t.deepEqual(out.placement.vip, []);
});

test('maintenance without a leader still freezes leader resources', (t) => {
  const out = stgCluster().maintenance().leader(undefined).current('vip', 'stg3').run();
  t.deepEqual(out.placement.vip, ['stg3']);
});

test('maintenance keeps nodes the scheduler does not know, sorted and without duplicates', (t) => {
  const out = stgCluster().maintenance().current('haproxy', 'stg9', 'stg1', 'stg1').run();
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg9']);
});

test('maintenance off: the scheduler places again from scratch', (t) => {
  const out = stgCluster().maintenance(false).current('vip', 'stg2').current('haproxy', 'stg2').run();
  t.deepEqual(out.placement.vip, ['stg1']);
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg2', 'stg3']);
});

test('an unmanaged resource stays where it runs; the others are placed as usual', (t) => {
  const out = stgCluster().unmanaged('sip-proxy').current('sip-proxy', 'stg2').offline('stg3').run();
  t.deepEqual(out.placement, { haproxy: ['stg1', 'stg2'], 'sip-proxy': ['stg2'], vip: ['stg1'] });
  t.deepEqual(out.why['sip-proxy'], { stg1: 'unmanaged', stg3: 'offline' });
});

test('an unmanaged resource that runs nowhere stays stopped', (t) => {
  const out = stgCluster().unmanaged('haproxy').run();
  t.deepEqual(out.placement.haproxy, []);
  t.deepEqual(out.why.haproxy, { stg1: 'unmanaged', stg2: 'unmanaged', stg3: 'unmanaged' });
});

test('an unmanaged leader resource is not stopped by a handover', (t) => {
  const out = stgCluster().unmanaged('vip').current('vip', 'stg1').standby('stg1').current('haproxy', 'stg1').run();
  t.deepEqual(out.handover, { from: 'stg1', to: 'stg2', reason: 'standby' });
  t.deepEqual(out.placement.vip, ['stg1']);
});

test('maintenance is the reason shown for an unmanaged resource in maintenance', (t) => {
  const out = stgCluster().maintenance().unmanaged('haproxy').run();
  t.deepEqual(out.why.haproxy, { stg1: MAINTENANCE, stg2: MAINTENANCE, stg3: MAINTENANCE });
});
