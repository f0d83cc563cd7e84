import test from 'ava';
import { checkJournalMutex } from '../../src/cluster/journal.js';
import { DEFAULT_TIMINGS } from '../../src/config/defaults.js';
import { TestCluster, wallNow } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

test.serial(
  'SIGTERM of the leader releases the lease naming its successor, which takes over without waiting for expiry',
  async (t) => {
    const cluster = await TestCluster.start({ members: 3 });
    t.teardown(() => cluster.close());
    for (const id of ['stg1', 'stg2', 'stg3']) cluster.startAgent(id);
    const old = await cluster.waitForLeader();
    await waitFor(
      'three live nodes',
      async () => (await cluster.status()).nodes.filter((node) => node.state === 'online').length === 3,
    );

    const stoppedAt = wallNow();
    const exit = await cluster.agents.get(old.node)!.stop('SIGTERM');
    t.deepEqual(exit, { code: 0, signal: null });
    const next = await cluster.waitForLeader(old.term);
    const history = cluster.journal();
    const release = history.find((entry) => entry.term === old.term && entry.action === 'release');
    const lead = history.find((entry) => entry.term === next.term && entry.action === 'lead')!;

    t.truthy(release, 'the old leader journaled its release');
    t.is(
      next.node,
      ['stg1', 'stg2', 'stg3'].find((id) => id !== old.node)!,
      'the successor is the next node in order',
    );
    // Without the handoff the successor would wait for the lease to expire (a whole ttl).
    t.true(
      lead.wallMs - stoppedAt < DEFAULT_TIMINGS.leaseTtlMs / 2,
      `took over ${Math.round(lead.wallMs - stoppedAt)} ms after SIGTERM`,
    );
    const status = await waitFor('the stopped node offline', async () => {
      const current = await cluster.status();
      return current.nodes.find((node) => node.id === old.node)?.state === 'offline' ? current : undefined;
    });
    t.is(status.leader?.node, next.node);
    t.deepEqual(checkJournalMutex(history), []);
  },
);
