import test from 'ava';
import { DEFAULT_TIMINGS } from '../../src/config/defaults.js';
import { checkJournalMutex } from '../../src/cluster/journal.js';
import { TestCluster, wallNow } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const { leaseTtlMs, clockDrift, pauseAllowanceMs } = DEFAULT_TIMINGS;
/** The design's bound: a leader stops acting at sentAt + ttl * (1 - drift) - pauseAllowance after its last renew. */
const leaderBoundMs = leaseTtlMs * (1 - clockDrift) - pauseAllowanceMs;
/** Scheduling noise between the agent's monotonic clock and the journal's timestamp, generously. */
const slackMs = 50;

test.serial(
  'one member lost: leadership continues; two lost: the leader steps down in bound; back: a higher term',
  async (t) => {
    const cluster = await TestCluster.start({ members: 3 });
    t.teardown(() => cluster.close());
    for (const id of ['stg1', 'stg2', 'stg3']) cluster.startAgent(id);
    const leader = await cluster.waitForLeader();
    const [first, second, third] = cluster.members as [
      (typeof cluster.members)[0],
      (typeof cluster.members)[0],
      (typeof cluster.members)[0],
    ];

    await first.stop('SIGKILL');
    const killedOneAt = wallNow();
    // Leadership continues: the same leader renews its term well past one ttl after the first loss.
    await waitFor(
      'renewals by the same leader for two ttls after one member died',
      () =>
        cluster
          .journal()
          .some(
            (entry) =>
              entry.term === leader.term && entry.action === 'renewed' && entry.wallMs > killedOneAt + 2 * leaseTtlMs,
          ),
      { timeoutMs: 4 * leaseTtlMs },
    );
    t.deepEqual(
      cluster
        .journal()
        .filter((entry) => entry.wallMs > killedOneAt)
        .map((entry) => entry.node)
        .filter((node, i, all) => all.indexOf(node) === i),
      [leader.node],
    );

    await second.stop('SIGKILL');
    const killedTwoAt = wallNow();
    await waitFor(
      'every agent saying it has no quorum or stepped down',
      async () => {
        const sentences = await cluster.sentencesOn(third);
        return (
          [...sentences.values()].filter((s) => /no quorum|stepped down/.test(s)).length === 3 && sentences.size === 3
        );
      },
      { timeoutMs: 3 * leaseTtlMs },
    );
    const lastAction = cluster
      .journal()
      .filter((entry) => entry.term === leader.term)
      .at(-1)!;
    t.true(
      lastAction.wallMs <= killedTwoAt + leaderBoundMs + slackMs,
      `last leader action ${Math.round(lastAction.wallMs - killedTwoAt)} ms after the loss of quorum, bound ${leaderBoundMs} ms`,
    );
    t.false(
      cluster.journal().some((entry) => entry.wallMs > killedTwoAt + leaderBoundMs + slackMs),
      'nobody leads without quorum',
    );
    t.is((await cluster.status()).leader, null);

    await Promise.all([first.restart(), second.restart()]);
    const next = await cluster.waitForLeader(leader.term, 6 * leaseTtlMs);
    t.true(next.term > leader.term);
    t.deepEqual(checkJournalMutex(cluster.journal()), []);
  },
);
