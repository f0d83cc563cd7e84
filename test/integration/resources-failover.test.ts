import test from 'ava';
import { writeFileSync } from 'node:fs';
import { checkJournalMutex } from '../../src/cluster/journal.js';
import { TestCluster, wallNow } from '../helpers/cluster.js';
import { dummyJournal, dummyOverlaps, dummyStatePath, workerPid } from '../helpers/resources.js';
import { NODES, startResourceCluster } from '../helpers/settled.js';
import { waitFor } from '../helpers/wait.js';

async function startCluster(overrides: { migrationThreshold?: number } = {}) {
  const cluster = await TestCluster.start({ members: 3 });
  const { leader } = await startResourceCluster(cluster, overrides);
  return { cluster, leader };
}

test.serial('a monitor failure restarts the resource in place and shows in status with its reason', async (t) => {
  const { cluster, leader } = await startCluster();
  t.teardown(() => cluster.close());
  writeFileSync(dummyStatePath(cluster, leader.node), 'failed');

  const status = await waitFor('the dummy restarted after one failure', async () => {
    const current = await cluster.status();
    const dummy = current.resources.find((resource) => resource.id === 'dummy')!;
    const here = dummy.instances.find((instance) => instance.node === leader.node);
    return here?.state === 'started' && dummy.failcount === 1 ? current : undefined;
  });
  const dummy = status.resources.find((resource) => resource.id === 'dummy')!;
  t.is(status.leader?.node, leader.node, 'one failure below the threshold does not move it');
  t.is(dummy.lastFailure?.node, leader.node);
  t.is(dummy.lastFailure?.operation, 'monitor');
  t.is(dummy.lastFailure?.rcName, 'OCF_ERR_GENERIC');
  t.regex(dummy.lastFailure?.reason ?? '', /says failed/);
});

test.serial('past the threshold the leader hands over and stays ineligible until cleanup', async (t) => {
  const { cluster, leader } = await startCluster({ migrationThreshold: 2 });
  t.teardown(() => cluster.close());
  for (let failure = 1; failure <= 2; failure += 1) {
    // Started once, then restarted after each failure: the journal says when the restart is done.
    await waitFor(`the dummy (re)started on ${leader.node} before failure ${failure}`, () => {
      const starts = dummyJournal(cluster).filter((a) => a.node === leader.node && a.action === 'start' && a.rc === 0);
      return starts.length === failure;
    });
    writeFileSync(dummyStatePath(cluster, leader.node), 'failed');
  }
  const next = await cluster.waitForLeader(leader.term);
  t.not(next.node, leader.node);
  const status = await waitFor('the old leader saying it is ineligible', async () => {
    const current = await cluster.status();
    return current.nodes.find((node) => node.id === leader.node)?.refusal?.startsWith('ineligible')
      ? current
      : undefined;
  });
  t.regex(
    status.nodes.find((node) => node.id === leader.node)!.refusal!,
    /^ineligible: dummy: 2 failures in the last 600 s \(threshold 2\)$/,
  );
  t.deepEqual(dummyOverlaps(dummyJournal(cluster)), []);
  t.deepEqual(checkJournalMutex(cluster.journal()), []);

  const cleanup = cluster.clusterctl('cleanup', 'dummy');
  t.is(cleanup.status, 0, cleanup.stderr);
  t.regex(cleanup.stdout, /done: dummy has no failure counted/);
  await waitFor('the old leader eligible again', async () => {
    const current = await cluster.status();
    return current.nodes.find((node) => node.id === leader.node)?.refusal === null;
  });
  t.is((await cluster.status()).leader?.node, next.node, 'no needless move back after cleanup');
});

test.serial('graceful SIGTERM and SIGKILL of the leader agent: the dummy never has two holders', async (t) => {
  const { cluster, leader } = await startCluster();
  t.teardown(() => cluster.close());
  const stoppedAt = wallNow();
  await cluster.agents.get(leader.node)!.stop('SIGTERM');
  const second = await cluster.waitForLeader(leader.term);
  await waitFor('the dummy started on the new leader', () =>
    dummyJournal(cluster).some(
      (action) => action.node === second.node && action.action === 'start' && action.wallMs > stoppedAt,
    ),
  );
  const stoppedOld = dummyJournal(cluster).find((action) => action.node === leader.node && action.action === 'stop');
  t.truthy(stoppedOld, 'the old leader stopped the dummy before it let go');

  await cluster.agents.get(second.node)!.stop('SIGKILL');
  const third = await cluster.waitForLeader(second.term);
  await waitFor('the dummy started on the third leader', () =>
    dummyJournal(cluster).some(
      (action) => action.node === third.node && action.action === 'start' && action.term === third.term,
    ),
  );
  t.deepEqual(dummyOverlaps(dummyJournal(cluster)), []);
  t.deepEqual(checkJournalMutex(cluster.journal()), []);
});

test.serial('an agent killed and restarted adopts its running process resource (same PID)', async (t) => {
  const { cluster, leader } = await startCluster();
  t.teardown(() => cluster.close());
  const follower = NODES.find((id) => id !== leader.node)!;
  const before = workerPid(cluster, follower)!;
  t.true(before > 0);
  await cluster.agents.get(follower)!.stop('SIGKILL');
  cluster.startAgent(follower);
  await waitFor('the restarted agent reporting the worker started', async () => {
    const status = await cluster.status();
    const node = status.nodes.find((entry) => entry.id === follower);
    const worker = status.resources.find((resource) => resource.id === 'worker')!;
    return (
      node?.state === 'online' && worker.instances.find((instance) => instance.node === follower)?.state === 'started'
    );
  });
  t.is(workerPid(cluster, follower), before, 'the worker was adopted, not restarted');
  process.kill(before, 0); // still alive: throws if not
});
