import test from 'ava';
import { checkJournalMutex } from '../../src/cluster/journal.js';
import { TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

test.serial('one lock member and one agent: the agent leads and bootstraps the definition', async (t) => {
  const cluster = await TestCluster.start({ members: 1 });
  t.teardown(() => cluster.close());
  cluster.startAgent('stg1');
  const leader = await cluster.waitForLeader();
  t.is(leader.node, 'stg1');
  const status = await waitFor('the definition bootstrapped', async () => {
    const current = await cluster.status();
    return current.definition ? current : undefined;
  });
  t.deepEqual(status.definition, { term: leader.term, version: 1 });
  t.deepEqual(status.quorum, { reachable: 1, total: 1, majority: 1 });
  t.deepEqual(checkJournalMutex(cluster.journal()), []);
  t.true(cluster.journal().some((entry) => entry.action === 'bootstrap-definition'));
});

test.serial('three members, three agents: exactly one leader; all others follow it', async (t) => {
  const cluster = await TestCluster.start({ members: 3 });
  t.teardown(() => cluster.close());
  for (const id of ['stg1', 'stg2', 'stg3']) cluster.startAgent(id);
  await cluster.waitForLeader();
  const status = await waitFor('three online nodes, two of them following the leader', async () => {
    const current = await cluster.status();
    const leader = current.leader;
    const following = current.nodes.filter((node) =>
      node.sentence?.includes(`following ${leader?.node} (term ${leader?.term})`),
    );
    return current.nodes.length === 3 && following.length === 2 ? current : undefined;
  });
  const leader = status.leader!;
  t.deepEqual(
    status.nodes.map((node) => node.state),
    ['online', 'online', 'online'],
  );
  t.deepEqual(
    status.nodes.filter((node) => node.leaderTerm !== null).map((node) => node.id),
    [leader.node],
  );
  t.deepEqual(checkJournalMutex(cluster.journal()), []);
});
