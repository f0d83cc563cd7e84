import test from 'ava';
import { checkJournalMutex } from '../../src/cluster/journal.js';
import { TestCluster, wallNow } from '../helpers/cluster.js';

const agents = ['stg1', 'stg2', 'stg3'];

test.serial(
  'terms never repeat: every agent and every member restarted with its data elects a higher term',
  async (t) => {
    const cluster = await TestCluster.start({ members: 3 });
    t.teardown(() => cluster.close());
    for (const id of agents) cluster.startAgent(id);
    const before = await cluster.waitForLeader();

    await Promise.all([...cluster.agents.values()].map((agent) => agent.stop('SIGKILL')));
    await Promise.all(cluster.members.map((member) => member.stop('SIGKILL')));
    await Promise.all(cluster.members.map((member) => member.restart()));
    for (const id of agents) cluster.startAgent(id);

    // The old lease survives the restart on the members (persisted with its expiry); wait for a new term.
    const after = await cluster.waitForLeader(before.term, 20_000);
    t.true(after.term > before.term, `term ${after.term} after a full restart, ${before.term} before`);
    t.deepEqual(checkJournalMutex(cluster.journal()), []);
  },
);

test.serial('a restarted agent never assumes the leadership it had', async (t) => {
  const cluster = await TestCluster.start({ members: 3 });
  t.teardown(() => cluster.close());
  for (const id of agents) cluster.startAgent(id);
  const before = await cluster.waitForLeader();

  await cluster.agents.get(before.node)!.stop('SIGKILL');
  const restartedAt = wallNow();
  cluster.startAgent(before.node);
  const after = await cluster.waitForLeader(before.term);

  t.true(after.term > before.term);
  const oldTermAfterRestart = cluster
    .journal()
    .filter((entry) => entry.term === before.term && entry.wallMs > restartedAt);
  t.deepEqual(oldTermAfterRestart, [], 'no action with the old term after the restart');
  t.deepEqual(checkJournalMutex(cluster.journal()), []);
});
