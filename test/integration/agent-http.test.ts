import test from 'ava';
import { writeFileSync } from 'node:fs';
import { TestCluster } from '../helpers/cluster.js';
import { dummyStatePath } from '../helpers/resources.js';
import { NODES, startResourceCluster } from '../helpers/settled.js';
import { waitFor } from '../helpers/wait.js';

async function get(cluster: TestCluster, node: string, path: string) {
  const response = await fetch(`http://127.0.0.1:${cluster.httpPort(node)}${path}`);
  return { status: response.status, body: await response.text() };
}

test.serial('the agent endpoint: /leader only on the leader, /health, /health/<resource>, /metrics', async (t) => {
  const cluster = await TestCluster.start();
  t.teardown(() => cluster.close());
  const { leader } = await startResourceCluster(cluster);
  const follower = NODES.find((id) => id !== leader.node)!;

  t.is((await get(cluster, leader.node, '/leader')).status, 200);
  t.regex((await get(cluster, leader.node, '/leader')).body, new RegExp(`"term":${leader.term}`));
  t.is((await get(cluster, follower, '/leader')).status, 503);
  t.is((await get(cluster, follower, '/health')).status, 200);
  t.is((await get(cluster, leader.node, '/health/dummy')).status, 200);
  t.is((await get(cluster, follower, '/health/dummy')).status, 503);
  t.is((await get(cluster, follower, '/health/worker')).status, 200);
  t.is((await get(cluster, follower, '/health/nothing')).status, 404);

  const metrics = (await get(cluster, leader.node, '/metrics')).body;
  t.regex(metrics, /^stg_ha_is_leader 1$/m);
  t.regex(metrics, new RegExp(`^stg_ha_term ${leader.term}$`, 'm'));
  t.regex(metrics, /^stg_ha_quorum 1$/m);
  t.regex(metrics, /^stg_ha_resource_state\{resource="dummy",state="started"\} 1$/m);
  t.regex(metrics, /^stg_ha_renew_latency_seconds_count [1-9]\d*$/m);
  t.regex((await get(cluster, follower, '/metrics')).body, /^stg_ha_is_leader 0$/m);
});

test.serial(
  'status follows state: after a failure, text and JSON show the count, the reason and why not running',
  async (t) => {
    const cluster = await TestCluster.start();
    t.teardown(() => cluster.close());
    const { leader } = await startResourceCluster(cluster);
    writeFileSync(dummyStatePath(cluster, leader.node), 'failed');
    await waitFor(
      'the failure counted',
      async () => (await cluster.status()).resources.find((r) => r.id === 'dummy')?.failcount === 1,
    );
    const unmanage = cluster.clusterctl('unmanage', 'worker');
    t.is(unmanage.status, 0, unmanage.stderr);

    const json = JSON.parse(cluster.clusterctl('status', '--json').stdout) as Awaited<
      ReturnType<TestCluster['status']>
    >;
    const dummy = json.resources.find((resource) => resource.id === 'dummy')!;
    t.like(dummy, { kind: 'ocf', placement: 'leader', failcount: 1, migrationThreshold: 3, managed: true });
    t.like(dummy.lastFailure, { node: leader.node, operation: 'monitor', rc: 1, rcName: 'OCF_ERR_GENERIC' });
    const follower = NODES.find((id) => id !== leader.node)!;
    t.deepEqual(
      dummy.whyNotRunning.find((why) => why.node === follower),
      { node: follower, reason: `only on the leader (${leader.node})` },
    );
    t.false(json.resources.find((resource) => resource.id === 'worker')!.managed);

    const text = cluster.clusterctl('status').stdout;
    t.regex(text, new RegExp(`dummy\\s+ocf\\s+leader\\s+${leader.node}\\s+started\\s+1/3`));
    t.regex(
      text,
      new RegExp(
        `dummy: last failure on ${leader.node} at \\S+: monitor returned OCF_ERR_GENERIC \\(1\\): state file .* says failed`,
      ),
    );
    t.regex(text, new RegExp(`dummy not running on ${follower}: only on the leader \\(${leader.node}\\)`));
    t.regex(text, /worker\s+process\s+every-node\s+stg1, stg2, stg3\s+unmanaged/);
  },
);
