import test from 'ava';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { TestCluster } from '../helpers/cluster.js';
import { dummyJournal, dummyStatePath, resourceDefinition, workerPid } from '../helpers/resources.js';
import { NODES, instanceState, runningOn, settled, startResourceCluster } from '../helpers/settled.js';
import { waitFor } from '../helpers/wait.js';

test.serial('standby empties a follower, unstandby brings its resources back', async (t) => {
  const cluster = await TestCluster.start();
  t.teardown(() => cluster.close());
  const before = await startResourceCluster(cluster);
  const follower = NODES.find((id) => id !== before.leader.node)!;
  const pid = workerPid(cluster, follower)!;

  const standby = cluster.clusterctl('standby', follower);
  t.is(standby.status, 0, standby.stderr);
  t.regex(standby.stdout, new RegExp(`${follower} goes to standby: its resources stop`));
  t.regex(standby.stdout, /done: /);
  const status = await cluster.status();
  t.is(instanceState(status, 'worker', follower), 'stopped');
  t.throws(() => process.kill(pid, 0), undefined, 'the worker process is gone');
  t.deepEqual(status.standby, [follower]);
  const why = status.resources.find((resource) => resource.id === 'worker')!.whyNotRunning;
  t.deepEqual(why, [{ node: follower, reason: 'standby' }]);
  t.is(status.leader?.node, before.leader.node, 'standby of a follower moves nothing else');

  const back = cluster.clusterctl('unstandby', follower);
  t.is(back.status, 0, back.stderr);
  await settled(cluster);
});

test.serial('standby of the leader hands leadership and its resources over', async (t) => {
  const cluster = await TestCluster.start();
  t.teardown(() => cluster.close());
  const before = await startResourceCluster(cluster);
  const run = cluster.clusterctl('standby', before.leader.node);
  t.is(run.status, 0, run.stderr);
  t.regex(run.stdout, /and it hands leadership over/);
  const after = await settled(cluster, 2);
  t.not(after.leader.node, before.leader.node);
  t.true(after.leader.term > before.leader.term);
  t.is(instanceState(after, 'dummy', before.leader.node), 'stopped');
});

test.serial('switchover, switchover --to, and their refusals', async (t) => {
  const cluster = await TestCluster.start();
  t.teardown(() => cluster.close());
  const first = await startResourceCluster(cluster);

  const plain = cluster.clusterctl('switchover');
  t.is(plain.status, 0, plain.stderr);
  const second = await settled(cluster);
  t.not(second.leader.node, first.leader.node);
  t.regex(plain.stdout, new RegExp(`done: ${second.leader.node} leads \\(term ${second.leader.term}\\)`));

  const target = NODES.find((id) => id !== second.leader.node && id !== first.leader.node)!;
  const directed = cluster.clusterctl('switchover', '--to', target);
  t.is(directed.status, 0, directed.stderr);
  const third = await settled(cluster);
  t.is(third.leader.node, target);

  const unknown = cluster.clusterctl('switchover', '--to', 'stg9');
  t.is(unknown.status, 1);
  t.regex(unknown.stderr, /switchover refused: unknown node stg9 \(known: stg1, stg2, stg3\)/);
  const self = cluster.clusterctl('switchover', '--to', target);
  t.is(self.status, 1);
  t.regex(self.stderr, new RegExp(`${target} already leads`));
  const failover = cluster.clusterctl('failover', '--to', first.leader.node);
  t.is(failover.status, 1);
  t.regex(failover.stderr, /leads \(term \d+\): use `clusterctl switchover --to/);
});

test.serial(
  'move: a leader resource moves by switchover; an every-node resource is refused with the reason',
  async (t) => {
    const cluster = await TestCluster.start();
    t.teardown(() => cluster.close());
    const before = await startResourceCluster(cluster);
    const target = NODES.find((id) => id !== before.leader.node)!;

    const refused = cluster.clusterctl('move', 'worker', target);
    t.is(refused.status, 1);
    t.regex(refused.stderr, /worker runs on every node \(placement every-node\): it cannot move/);
    const unknown = cluster.clusterctl('move', 'nothing', target);
    t.is(unknown.status, 1);
    t.regex(unknown.stderr, /unknown resource nothing \(known: dummy, worker\)/);

    const moved = cluster.clusterctl('move', 'dummy', target);
    t.is(moved.status, 0, moved.stderr);
    t.regex(moved.stdout, /this is a switchover/);
    const after = await settled(cluster);
    t.deepEqual(runningOn(after, 'dummy'), [target]);
  },
);

test.serial('maintenance changes nothing while on, and the cluster corrects what differs once off', async (t) => {
  const cluster = await TestCluster.start();
  t.teardown(() => cluster.close());
  const before = await startResourceCluster(cluster);
  const follower = NODES.find((id) => id !== before.leader.node)!;
  const on = cluster.clusterctl('maintenance', 'on');
  t.is(on.status, 0, on.stderr);
  t.regex(cluster.clusterctl('status').stdout, /MAINTENANCE MODE/);

  const pid = workerPid(cluster, follower)!;
  process.kill(-pid, 'SIGKILL');
  // The failure is seen first (its monitor's reason), then what keeps it from being restarted: maintenance.
  await waitFor('the dead worker seen by its node, and left dead for maintenance', async () => {
    const status = await cluster.status();
    return (
      instanceState(status, 'worker', follower) !== 'started' &&
      blockedBy(status, 'worker', follower) === 'maintenance: nothing is started or stopped'
    );
  });
  t.is(workerPid(cluster, follower), pid, 'not restarted in maintenance');

  const off = cluster.clusterctl('maintenance', 'off');
  t.is(off.status, 0, off.stderr);
  await settled(cluster);
  t.not(workerPid(cluster, follower), pid, 'restarted once maintenance is off');
});

test.serial('unmanage leaves a resource alone; manage takes it back', async (t) => {
  const cluster = await TestCluster.start();
  t.teardown(() => cluster.close());
  const before = await startResourceCluster(cluster);
  const follower = NODES.find((id) => id !== before.leader.node)!;
  t.is(cluster.clusterctl('unmanage', 'worker').status, 0);
  const pid = workerPid(cluster, follower)!;
  process.kill(-pid, 'SIGKILL');
  const seen = await waitFor('the dead worker seen, and left dead as unmanaged', async () => {
    const status = await cluster.status();
    const dead = instanceState(status, 'worker', follower) !== 'started';
    return dead && blockedBy(status, 'worker', follower) === 'unmanaged' ? status : undefined;
  });
  const worker = seen.resources.find((resource) => resource.id === 'worker')!;
  t.false(worker.managed);
  t.is(workerPid(cluster, follower), pid);
  t.is(runningOn(seen, 'dummy').length, 1, 'the other resources are still managed');

  t.is(cluster.clusterctl('manage', 'worker').status, 0);
  await settled(cluster);
});

test.serial('config apply shows the diff, applies through the leader, and refuses an invalid file', async (t) => {
  const cluster = await TestCluster.start();
  t.teardown(() => cluster.close());
  await startResourceCluster(cluster);
  const definition = { cluster: cluster.cluster, service: { name: 'sips.example.es' }, ...resourceDefinition(cluster) };
  definition.resources[1]!.monitorIntervalMs = 700;
  const file = join(cluster.dir, 'next.yaml');
  writeFileSync(file, stringify(definition));

  const dry = cluster.clusterctl('config', 'apply', file, '--dry-run');
  t.is(dry.status, 0, dry.stderr);
  t.regex(dry.stdout, /-\s+monitorIntervalMs: 300\n\+\s+monitorIntervalMs: 700/);
  t.regex(dry.stdout, /dry run: nothing applied/);

  const applied = cluster.clusterctl('config', 'apply', file);
  t.is(applied.status, 0, applied.stderr);
  t.regex(applied.stdout, /done: definition version 2 runs on stg1, stg2, stg3/);
  t.is((await cluster.status()).definition?.version, 2);

  writeFileSync(file, stringify({ ...definition, timings: { leaseTtlMs: 500 } }));
  const bad = cluster.clusterctl('config', 'apply', file);
  t.is(bad.status, 1);
  t.regex(bad.stderr, /refused, nothing applied: .*timings\.leaseTtlMs: 500/s);
  t.is((await cluster.status()).definition?.version, 2);
});

test.serial('events tell what happened: leadership, resources, operator commands', async (t) => {
  const cluster = await TestCluster.start();
  t.teardown(() => cluster.close());
  const before = await startResourceCluster(cluster);
  t.is(cluster.clusterctl('switchover').status, 0);
  await settled(cluster);
  const events = cluster.clusterctl('events');
  t.is(events.status, 0, events.stderr);
  t.regex(events.stdout, new RegExp(`${before.leader.node}\\s+leader\\s+leads term ${before.leader.term}`));
  t.regex(events.stdout, /resource\s+started dummy/);
  t.regex(events.stdout, /command\s+operator: clusterctl .*switchover/);
  t.regex(events.stdout, /command\s+switching over from/);
});

test.serial(
  'failover --to: with the leader agent dead, the named node takes over instead of the first in order',
  async (t) => {
    const cluster = await TestCluster.start();
    t.teardown(() => cluster.close());
    const before = await startResourceCluster(cluster);
    const survivors = NODES.filter((id) => id !== before.leader.node);
    const target = survivors.at(-1)!; // the last in node order: it would not win by rank
    await cluster.agents.get(before.leader.node)!.stop('SIGKILL');
    const run = await waitFor('failover accepted once the dead agent is silent', () => {
      const attempt = cluster.clusterctl('failover', '--to', target);
      return attempt.status === 0 ? attempt : undefined;
    });
    t.regex(run.stdout, new RegExp(`${target} gets the first turn`));
    t.regex(run.stdout, new RegExp(`done: ${target} leads`));
    const after = await settled(cluster, 2);
    t.is(after.leader.node, target);
  },
);

test.serial('a resource found running where it must not is stopped by the probe at start', async (t) => {
  const cluster = await TestCluster.start();
  t.teardown(() => cluster.close());
  cluster.writeDefinition(resourceDefinition(cluster));
  // stg3 is not the leader-to-be (stg1 starts first and leads); its dummy "runs" before its agent starts.
  mkdirSync(dirname(dummyStatePath(cluster, 'stg3')), { recursive: true });
  writeFileSync(dummyStatePath(cluster, 'stg3'), 'running');
  cluster.startAgent('stg1');
  await cluster.waitForLeader();
  cluster.startAgent('stg2');
  cluster.startAgent('stg3');
  const status = await settled(cluster);
  t.is(status.leader.node, 'stg1');
  t.false(existsSync(dummyStatePath(cluster, 'stg3')), 'stopped on stg3');
  t.true(dummyJournal(cluster).some((action) => action.node === 'stg3' && action.action === 'stop' && action.rc === 0));
});

/** Why an instance is not running as wanted, as `clusterctl status` says it. */
function blockedBy(status: Awaited<ReturnType<TestCluster['status']>>, resource: string, node: string) {
  return status.resources.find((entry) => entry.id === resource)?.instances.find((i) => i.node === node)?.blockedBy;
}
