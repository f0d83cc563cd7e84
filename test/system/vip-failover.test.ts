import test, { type ExecutionContext } from 'ava';
import { waitFor } from '../helpers/wait.js';
import { BED_PREFIX_LENGTH, BED_PREFIX_LENGTH6, BED_VIP, BED_VIP6, wallNow } from './bed.js';
import { assertSafeHistory, startVipCluster } from './vip-scenario.js';

/** The agent alone SIGKILLed: its guard removes the VIP and releases the lease; the other node takes over. */
async function agentKilled(t: ExecutionContext, vip: string) {
  const setup = await startVipCluster(t, { vip });
  const { bed, cluster, recorders, leader, other, address } = setup;
  const killedAt = wallNow();
  process.kill(leader.pid, 'SIGKILL');
  const moved = await recorders
    .find((recorder) => recorder.host === other)!
    .waitFor(address, 'add', { afterMs: killedAt, timeoutMs: 10_000 });
  await waitFor('the client reaching the VIP again', () => bed.ping('client', address), {
    timeoutMs: 10_000,
    everyMs: 50,
  });
  t.log(`VIP on ${other} ${Math.round(moved.wallMs - killedAt)} ms after the agent's SIGKILL`);
  const next = await cluster.leaderWithVip(leader.term, other);
  t.is(next.node, other);
  await assertSafeHistory(t, setup, { claimedBy: other, afterMs: killedAt });
}

test.serial('the agent alone killed: the VIP moves at once, never on two nodes, and the client reaches it', (t) =>
  agentKilled(t, `${BED_VIP}/${BED_PREFIX_LENGTH}`),
);

test.serial('IPv6 VIP, the agent alone killed: it moves (nodad, neighbour advertisement) and the client follows', (t) =>
  agentKilled(t, `${BED_VIP6}/${BED_PREFIX_LENGTH6}`),
);

test.serial("the leader's link cut: it drops the VIP itself, the other node takes it, no flapping back", async (t) => {
  const setup = await startVipCluster(t);
  const { bed, cluster, recorders, leader, other, address } = setup;
  await bed.linkDown(leader.node);
  const cutAt = wallNow();
  await recorders
    .find((recorder) => recorder.host === leader.node)!
    .waitFor(address, 'delete', { afterMs: cutAt, timeoutMs: 10_000 });
  await recorders
    .find((recorder) => recorder.host === other)!
    .waitFor(address, 'add', { afterMs: cutAt, timeoutMs: 10_000 });
  await waitFor('the client reaching the VIP', () => bed.ping('client', address), { timeoutMs: 10_000, everyMs: 50 });
  const during = await cluster.leaderWithVip(leader.term, other);
  t.is(during.node, other);

  await bed.linkUp(leader.node);
  // Healed: the cut node follows (no move back); the leader keeps its term.
  await waitFor(
    'the healed node following',
    async () => {
      const status = await cluster.status(other);
      const healed = status.nodes.find((node) => node.id === leader.node);
      return healed?.state === 'online' && healed.sentence?.includes(`following ${other}`) ? status : undefined;
    },
    { timeoutMs: 15_000, everyMs: 100 },
  );
  const after = await cluster.leaderWithVip(0, other);
  t.deepEqual({ node: after.node, term: after.term }, { node: other, term: during.term }, 'no flapping back');
  await assertSafeHistory(t, setup, { claimedBy: other, afterMs: cutAt });
});

test.serial(
  'agent and guard killed together: the kernel drops the VIP before the lease lets the other node in',
  async (t) => {
    const setup = await startVipCluster(t);
    const { bed, cluster, recorders, leader, other, address } = setup;
    const killedAt = wallNow();
    bed.signal(cluster.guards.get(leader.node)!, 'SIGKILL', { group: true }); // nothing is left to clean up
    const dropped = await recorders
      .find((recorder) => recorder.host === leader.node)!
      .waitFor(address, 'delete', { afterMs: killedAt, timeoutMs: 10_000 });
    const moved = await recorders
      .find((recorder) => recorder.host === other)!
      .waitFor(address, 'add', { afterMs: killedAt, timeoutMs: 10_000 });
    t.log(
      `kernel dropped the VIP ${Math.round(dropped.wallMs - killedAt)} ms after the kill; on ${other} after ${Math.round(moved.wallMs - killedAt)} ms`,
    );
    await waitFor('the client reaching the VIP again', () => bed.ping('client', address), {
      timeoutMs: 10_000,
      everyMs: 50,
    });
    await assertSafeHistory(t, setup, { claimedBy: other, afterMs: killedAt });
  },
);

test.serial(
  'the leader node frozen and cut, then thawed and reconnected: one holder at a time, the old leader follows',
  async (t) => {
    const setup = await startVipCluster(t);
    const { bed, cluster, recorders, leader, other, address } = setup;
    await bed.freeze(leader.node);
    const frozenAt = wallNow();
    await recorders
      .find((recorder) => recorder.host === other)!
      .waitFor(address, 'add', { afterMs: frozenAt, timeoutMs: 10_000 });
    const during = await cluster.leaderWithVip(leader.term, other);
    await bed.thaw(leader.node);
    await waitFor(
      'the thawed node following the new leader',
      async () => {
        const status = await cluster.status(other);
        const thawed = status.nodes.find((node) => node.id === leader.node);
        return thawed?.state === 'online' && thawed.sentence?.includes(`following ${other}`);
      },
      { timeoutMs: 15_000, everyMs: 100 },
    );
    await waitFor('the client reaching the VIP', () => bed.ping('client', address), { timeoutMs: 10_000, everyMs: 50 });
    const after = await cluster.leaderWithVip(0, other);
    t.deepEqual({ node: after.node, term: after.term }, { node: other, term: during.term });
    await assertSafeHistory(t, setup, { claimedBy: other, afterMs: frozenAt });
  },
);

test.serial(
  'the arbiter down: leadership and the VIP stay; the arbiter and the other node down: nobody holds it',
  async (t) => {
    const setup = await startVipCluster(t);
    const { bed, cluster, recorders, leader, other, address } = setup;
    await bed.freeze('arbiter');
    const arbiterDownAt = wallNow();
    // Two of three lock members remain: the leader keeps renewing, well past one ttl.
    await waitFor(
      'the leader renewing two ttls after the arbiter went down',
      () =>
        cluster
          .journal()
          .some(
            (entry) => entry.term === leader.term && entry.action === 'renewed' && entry.wallMs > arbiterDownAt + 4000,
          ),
      { timeoutMs: 10_000, everyMs: 100 },
    );
    await bed.freeze(other);
    const minorityAt = wallNow();
    const dropped = await recorders
      .find((recorder) => recorder.host === leader.node)!
      .waitFor(address, 'delete', { afterMs: minorityAt, timeoutMs: 10_000 });
    t.log(`a minority leader dropped the VIP ${Math.round(dropped.wallMs - minorityAt)} ms after losing its quorum`);
    const timeline = await assertSafeHistory(t, setup);
    t.deepEqual(timeline.holdersAt(wallNow()), [], 'nobody holds the VIP without a quorum');
  },
);

test.serial(
  'the leader agent stopped (SIGSTOP) beyond the ttl, then continued: the VIP moves once and never comes back',
  async (t) => {
    const setup = await startVipCluster(t);
    const { bed, cluster, recorders, leader, other, address } = setup;
    process.kill(leader.pid, 'SIGSTOP'); // the agent alone: its guard sees no exit, the kernel lifetime and lease act
    const stoppedAt = wallNow();
    await recorders
      .find((recorder) => recorder.host === other)!
      .waitFor(address, 'add', { afterMs: stoppedAt, timeoutMs: 10_000 });
    const during = await cluster.leaderWithVip(leader.term, other);
    process.kill(leader.pid, 'SIGCONT');
    await waitFor(
      'the continued agent following the new leader',
      async () => {
        const status = await cluster.status(other);
        const continued = status.nodes.find((node) => node.id === leader.node);
        return continued?.pid === leader.pid && continued.sentence?.includes(`following ${other}`);
      },
      { timeoutMs: 15_000, everyMs: 100 },
    );
    const after = await cluster.leaderWithVip(0, other);
    t.deepEqual({ node: after.node, term: after.term }, { node: other, term: during.term });
    const stale = cluster.journal().filter((entry) => entry.term === leader.term && entry.wallMs > stoppedAt + 1);
    t.deepEqual(stale, [], 'no leader action with the old term after the stop');
    await waitFor('the client reaching the VIP', () => bed.ping('client', address), { timeoutMs: 10_000, everyMs: 50 });
    await assertSafeHistory(t, setup, { claimedBy: other, afterMs: stoppedAt });
  },
);
