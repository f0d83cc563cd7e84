import test from 'ava';
import { checkJournalMutex } from '../../src/cluster/journal.js';
import { DEFAULT_TIMINGS } from '../../src/config/defaults.js';
import { TestCluster, wallNow } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

test.serial('a leader frozen beyond the ttl performs no leader action with its old term once thawed', async (t) => {
  const cluster = await TestCluster.start({ members: 3 });
  t.teardown(() => cluster.close());
  for (const id of ['stg1', 'stg2', 'stg3']) cluster.startAgent(id);
  const old = await cluster.waitForLeader();
  const frozen = cluster.agents.get(old.node)!;

  frozen.signal('SIGSTOP');
  const frozenAt = wallNow();
  const next = await cluster.waitForLeader(old.term);
  t.not(next.node, old.node);
  // Stay frozen past the new leader's start by more than a ttl, so a stale in-flight renew is well out of date.
  await waitFor(
    'the new leader to have led for one ttl',
    () =>
      cluster
        .journal()
        .some((entry) => entry.term === next.term && entry.wallMs > frozenAt + 2 * DEFAULT_TIMINGS.leaseTtlMs),
    { timeoutMs: 4 * DEFAULT_TIMINGS.leaseTtlMs },
  );
  frozen.signal('SIGCONT');
  const thawedAt = wallNow();

  await waitFor('the thawed agent to follow the new leader', async () => {
    const status = await cluster.status();
    const sentence = status.nodes.find((node) => node.id === old.node)?.sentence ?? '';
    return (
      /following|stepped down/.test(sentence) &&
      status.nodes.find((node) => node.id === old.node)!.heartbeatAgeMs! < 500
    );
  });
  await waitFor('the new leader renewing after the thaw', () =>
    cluster.journal().some((entry) => entry.term === next.term && entry.wallMs > thawedAt),
  );
  const history = cluster.journal();
  t.deepEqual(checkJournalMutex(history), []);
  t.deepEqual(
    history.filter((entry) => entry.term === old.term && entry.wallMs > frozenAt),
    [],
    'the thawed leader acted with its old term',
  );
  t.is((await cluster.status()).leader?.term, next.term, 'the new leader kept leading');
});
