import type { ExecutionContext } from 'ava';
import { checkJournalMutex } from '../../src/cluster/journal.js';
import { waitFor } from '../helpers/wait.js';
import { AddressRecorder, mergeTimelines } from './address-timeline.js';
import { ClaimCapture, resumesOf } from './arp-capture.js';
import { BedCluster } from './bed-cluster.js';
import { BED_PREFIX_LENGTH, BED_VIP, TestBed, type NodeName } from './bed.js';
import { requireRoot } from './require-root.js';

/** What the VIP scenarios share: a bed running stg-cluster, its observers, and the leader at the start. */
export type VipSetup = Awaited<ReturnType<typeof startVipCluster>>;

/**
 * A bed (two nodes and an arbiter unless told: the smallest real cluster; or three nodes), a client, one address
 * recorder per node, and the client's capture of who claims the VIP on the wire (ARP, neighbour advertisements);
 * stg-cluster started with `vip` (with its prefix length) and the client reaching it. Torn down after the test.
 */
export async function startVipCluster(
  t: ExecutionContext,
  { vip = `${BED_VIP}/${BED_PREFIX_LENGTH}`, nodes = 2 as 2 | 3, arbiter = true } = {},
) {
  requireRoot(t);
  const address = vip.split('/')[0]!;
  const bed = await TestBed.create({ nodes, arbiter });
  t.teardown(() => bed.destroy());
  const recorders = await Promise.all(bed.nodes.map((node) => AddressRecorder.start(bed, node)));
  const capture = await ClaimCapture.start(bed, address);
  const cluster = await BedCluster.start(bed, { vip });
  const leader = await cluster.leaderWithVip();
  await waitFor('the client reaching the VIP', () => bed.ping('client', address), { timeoutMs: 10_000, everyMs: 100 });
  const followers = bed.nodes.filter((node) => node !== leader.node) as NodeName[];
  return { bed, cluster, recorders, capture, leader, followers, other: followers[0]!, address };
}

/** The recorder of one node. */
export function recorderOf(setup: VipSetup, node: NodeName): AddressRecorder {
  return setup.recorders.find((recorder) => recorder.host === node)!;
}

/**
 * The history every scenario is checked with (as history, not as final state): never two holders at once (a cut
 * node counts again from its repair), no node claiming the VIP on the wire while it did not hold it, the leader
 * journal a mutex; and, when given, the new holder's claim seen by the client after `afterMs`.
 */
export async function assertSafeHistory(
  t: ExecutionContext,
  { bed, cluster, recorders, capture, address }: VipSetup,
  { claimedBy, afterMs = 0 }: { claimedBy?: NodeName; afterMs?: number } = {},
) {
  if (claimedBy) {
    await waitFor(
      `the client seeing ${claimedBy} claim ${address}`,
      () => capture.from(claimedBy, afterMs).length > 0,
      {
        timeoutMs: 5000,
        describe: () => capture.describe(),
      },
    );
  }
  const timeline = mergeTimelines(recorders, address, { isolations: bed.isolations() });
  t.log(`the client saw ${capture.claims.length} claims of ${address}: ${capture.describe()}`);
  t.deepEqual(timeline.overlaps(), [], timeline.describe());
  t.deepEqual(
    capture.unheld(timeline, { resumes: resumesOf(bed.events) }),
    [],
    `holders: ${timeline.describe()}; claims: ${capture.describe()}`,
  );
  t.deepEqual(checkJournalMutex(cluster.journal()), []);
  return timeline;
}
