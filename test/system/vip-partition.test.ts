/**
 * Three nodes, each with its lock member (no arbiter), partitioned and healed: a cut follower changes nothing for
 * the majority; a cut leader is a minority of one and gives the VIP up, the two others elect a leader among
 * themselves; healed nodes follow, nothing moves back. Checked as history (vip-scenario.ts).
 */
import test from 'ava';
import { DEFAULT_TIMINGS } from '../../src/config/defaults.js';
import { waitFor } from '../helpers/wait.js';
import { wallNow, type NodeName } from './bed.js';
import type { BedCluster } from './bed-cluster.js';
import { assertSafeHistory, recorderOf, startVipCluster } from './vip-scenario.js';

/** Waits until `node` is online and follows `leader` in the status seen from `from`. */
async function following(cluster: BedCluster, node: NodeName, leader: NodeName, from: NodeName) {
  await waitFor(
    `${node} following ${leader}`,
    async () => {
      const status = await cluster.status(from);
      const seen = status.nodes.find((entry) => entry.id === node);
      return seen?.state === 'online' && seen.sentence?.includes(`following ${leader}`);
    },
    { timeoutMs: 15_000, everyMs: 100 },
  );
}

test.serial(
  'three nodes: a cut follower changes nothing; a cut leader hands the VIP to the majority side',
  async (t) => {
    const setup = await startVipCluster(t, { nodes: 3, arbiter: false });
    const { bed, cluster, leader, followers, address } = setup;
    const [cutFollower, otherFollower] = followers as [NodeName, NodeName];
    const ttlMs = DEFAULT_TIMINGS.leaseTtlMs; // the bed runs with the default timings

    // 1. A follower cut off: it sees one lock member of three and may not lead; the leader renews on, same term.
    await bed.linkDown(cutFollower);
    const followerCutAt = wallNow();
    await waitFor(
      'the leader renewing two ttls after the cut',
      () =>
        cluster
          .journal()
          .some(
            (entry) =>
              entry.node === leader.node &&
              entry.term === leader.term &&
              entry.action === 'renewed' &&
              entry.wallMs > followerCutAt + 2 * ttlMs,
          ),
      { timeoutMs: 10_000, everyMs: 100 },
    );
    t.deepEqual(recorderOf(setup, cutFollower).intervals(address), [], 'the cut follower never held the VIP');
    await bed.linkUp(cutFollower);
    await following(cluster, cutFollower, leader.node, leader.node);
    const unchanged = await cluster.leaderWithVip(0, leader.node);
    t.deepEqual({ node: unchanged.node, term: unchanged.term }, { node: leader.node, term: leader.term });

    // 2. The leader cut off: it drops the VIP itself (no quorum), and the majority side elects a new leader.
    await bed.linkDown(leader.node);
    const leaderCutAt = wallNow();
    const dropped = await recorderOf(setup, leader.node).waitFor(address, 'delete', {
      afterMs: leaderCutAt,
      timeoutMs: 10_000,
    });
    const next = await cluster.leaderWithVip(leader.term, otherFollower);
    t.true(followers.includes(next.node), `the new leader ${next.node} is on the majority side`);
    const moved = await recorderOf(setup, next.node).waitFor(address, 'add', {
      afterMs: leaderCutAt,
      timeoutMs: 10_000,
    });
    t.log(
      `cut leader dropped the VIP after ${Math.round(dropped.wallMs - leaderCutAt)} ms; ` +
        `${next.node} added it after ${Math.round(moved.wallMs - leaderCutAt)} ms`,
    );
    await waitFor('the client reaching the VIP', () => bed.ping('client', address), { timeoutMs: 10_000, everyMs: 50 });

    // 3. Healed: the old leader follows the new one; no move back, the term stays.
    await bed.linkUp(leader.node);
    await following(cluster, leader.node, next.node, next.node);
    const after = await cluster.leaderWithVip(0, next.node);
    t.deepEqual({ node: after.node, term: after.term }, { node: next.node, term: next.term }, 'no flapping back');
    await assertSafeHistory(t, setup, { claimedBy: next.node, afterMs: leaderCutAt });
  },
);
