import test from 'ava';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkJournalMutex } from '../../src/cluster/journal.js';
import { DEFAULT_TIMINGS } from '../../src/config/defaults.js';
import { TestCluster, wallNow } from '../helpers/cluster.js';
import { dummyJournal, dummyJournalPath, dummyOverlaps } from '../helpers/resources.js';
import { NODES } from '../helpers/settled.js';
import { waitFor } from '../helpers/wait.js';

const DUMMY = fileURLToPath(new URL('../../../resource-agents/dummy', import.meta.url));
const { leaseTtlMs, renewIntervalMs, renewTimeoutMs } = DEFAULT_TIMINGS;

/**
 * A stand-in VIP for loopback: the dummy agent under the name `vip`, which is how the guard recognises a floating
 * address (the real one needs network namespaces: test/system).
 */
function fakeVip(cluster: TestCluster, extra: Record<string, unknown>[] = []) {
  const vip = join(cluster.dir, 'vip');
  symlinkSync(DUMMY, vip);
  const resource = (id: string, agent: string) => ({
    id,
    kind: 'ocf',
    agent,
    placement: 'leader',
    params: { journal: dummyJournalPath(cluster) },
    monitorIntervalMs: 300,
    timeouts: { startMs: 5000, stopMs: 5000, monitorMs: 5000 },
  });
  return {
    resources: [resource('vip', vip), ...extra.map((entry) => ({ ...resource(String(entry['id']), DUMMY), ...entry }))],
  };
}

async function vipOnLeader(cluster: TestCluster, aboveTerm = 0) {
  return waitFor(
    'the vip started on a leader',
    async () => {
      const status = await cluster.status();
      const leader = status.leader;
      if (!leader || leader.term <= aboveTerm) return undefined;
      const vip = status.resources.find((resource) => resource.id === 'vip');
      const here = vip?.instances.find((instance) => instance.node === leader.node);
      const pid = status.nodes.find((node) => node.id === leader.node)?.pid;
      return here?.state === 'started' && pid ? { ...leader, pid } : undefined;
    },
    { timeoutMs: 15_000 },
  );
}

test.serial(
  'the agent alone killed: its guard removes the VIP and releases the lease at once, then restarts it',
  async (t) => {
    const cluster = await TestCluster.start();
    t.teardown(() => cluster.close());
    cluster.writeDefinition(fakeVip(cluster));
    for (const id of NODES) cluster.startGuarded(id);
    const leader = await vipOnLeader(cluster);

    process.kill(leader.pid, 'SIGKILL'); // the agent, not its guard
    const killedAt = wallNow();
    const next = await vipOnLeader(cluster, leader.term);
    const lead = cluster.journal().find((entry) => entry.term === next.term && entry.action === 'lead')!;
    // Without the guard the lease would have to expire: at least ttl - renewInterval - renewTimeout after the kill.
    t.true(
      lead.wallMs - killedAt < leaseTtlMs - renewIntervalMs - renewTimeoutMs,
      `new leader ${Math.round(lead.wallMs - killedAt)} ms after the kill`,
    );
    const guardStop = dummyJournal(cluster).find((action) => action.node === leader.node && action.action === 'stop');
    t.truthy(guardStop, 'the guard stopped the VIP');
    t.true(guardStop!.wallMs < lead.wallMs, 'the VIP was removed before the lease was given up');
    t.deepEqual(dummyOverlaps(dummyJournal(cluster)), []);

    const restarted = await waitFor('the guard restarted the agent', async () => {
      const node = (await cluster.status()).nodes.find((entry) => entry.id === leader.node);
      return node?.state === 'online' && node.pid !== leader.pid ? node : undefined;
    });
    t.not(restarted.pid, leader.pid);
    t.true(cluster.agents.get(leader.node)!.running, 'the guard itself kept running');
    t.deepEqual(checkJournalMutex(cluster.journal()), []);
  },
);

test.serial(
  'with another leader-only resource running, the guard removes the VIP but lets the lease expire',
  async (t) => {
    const cluster = await TestCluster.start();
    t.teardown(() => cluster.close());
    cluster.writeDefinition(fakeVip(cluster, [{ id: 'other' }]));
    for (const id of NODES) cluster.startGuarded(id);
    const leader = await vipOnLeader(cluster);
    await waitFor('the other leader resource started', () =>
      dummyJournal(cluster).some((action) => action.node === leader.node && action.action === 'start'),
    );
    process.kill(leader.pid, 'SIGKILL');
    const killedAt = wallNow();
    const next = await vipOnLeader(cluster, leader.term);
    const lead = cluster.journal().find((entry) => entry.term === next.term && entry.action === 'lead')!;
    t.true(
      lead.wallMs - killedAt >= leaseTtlMs - renewIntervalMs - renewTimeoutMs,
      `new leader ${Math.round(lead.wallMs - killedAt)} ms after the kill`,
    );
    t.deepEqual(checkJournalMutex(cluster.journal()), []);
  },
);

test.serial('SIGTERM to the guard: the agent hands over gracefully, the guard exits 0', async (t) => {
  const cluster = await TestCluster.start();
  t.teardown(() => cluster.close());
  cluster.writeDefinition(fakeVip(cluster));
  for (const id of NODES) cluster.startGuarded(id);
  const leader = await vipOnLeader(cluster);
  const exit = await cluster.agents.get(leader.node)!.stop('SIGTERM');
  t.deepEqual(exit, { code: 0, signal: null });
  t.throws(() => process.kill(leader.pid, 0), undefined, 'the agent is gone too');
  const next = await vipOnLeader(cluster, leader.term);
  t.not(next.node, leader.node);
});

test.serial('an agent that may hold a VIP never leads without a guard; one whose guard died steps down', async (t) => {
  const cluster = await TestCluster.start();
  t.teardown(() => cluster.close());
  cluster.writeDefinition(fakeVip(cluster));
  cluster.startAgent('stg1'); // no guard
  const refusing = await waitFor('stg1 refusing to lead', async () => {
    const node = (await cluster.status()).nodes.find((entry) => entry.id === 'stg1');
    return node?.refusal ?? undefined;
  });
  t.regex(refusing, /no guard: an agent that may hold a VIP runs under stg-guard/);
  t.is((await cluster.status()).leader, null);

  cluster.startGuarded('stg2');
  const leader = await vipOnLeader(cluster);
  t.is(leader.node, 'stg2');
  cluster.agents.get('stg2')!.signal('SIGKILL'); // the guard alone: its agent lives on, re-parented
  const stepped = await waitFor('stg2 refusing to lead without its guard', async () => {
    const node = (await cluster.status()).nodes.find((entry) => entry.id === 'stg2');
    return node?.refusal?.includes('guard') ? node : undefined;
  });
  t.regex(stepped.refusal!, /its guard \(pid \d+\) is gone/);
  t.is(stepped.leaderTerm, null);
  process.kill(leader.pid, 'SIGKILL');
});
