import test from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ClusterStatus } from '../../src/cli/cluster-status.js';
import { CLUSTERCTL_MAIN, TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

function clusterctl(config: string, ...args: string[]) {
  return spawnSync(process.execPath, [CLUSTERCTL_MAIN, '--config', config, ...args], {
    encoding: 'utf8',
    timeout: 10_000,
  });
}

test.serial('clusterctl status shows leader, term, members and nodes, as text and as JSON', async (t) => {
  const cluster = await TestCluster.start({ members: 3 });
  t.teardown(() => cluster.close());
  for (const id of ['stg1', 'stg2']) cluster.startAgent(id);
  const leader = await cluster.waitForLeader();
  await waitFor(
    'two online nodes',
    async () => (await cluster.status()).nodes.filter((node) => node.state === 'online').length === 2,
  );
  const config = join(cluster.dir, 'clusterctl.yaml');
  writeFileSync(
    config,
    stringify({ cluster: cluster.cluster, lockMembers: cluster.members.map((m) => ({ host: m.host, port: m.port })) }),
  );

  const json = clusterctl(config, 'status', '--json');
  t.is(json.status, 0, json.stderr);
  const status = JSON.parse(json.stdout) as ClusterStatus;
  t.is(status.cluster, 'test');
  t.deepEqual({ node: status.leader?.node, term: status.leader?.term }, { node: leader.node, term: leader.term });
  t.deepEqual(status.quorum, { reachable: 3, total: 3, majority: 2 });
  t.is(status.members.length, 3);
  t.true(
    status.members.every(
      (member) => member.reachable && member.termSeen === leader.term && member.runId?.length === 40,
    ),
  );
  t.deepEqual(
    status.nodes.map((node) => [node.id, node.state]),
    [
      ['stg1', 'online'],
      ['stg2', 'online'],
    ],
  );
  t.deepEqual(status.resources, []);
  t.true(
    status.nodes.every((node) => node.sip === null),
    'no SIP summary from nodes without sipProxy',
  );

  const text = clusterctl(config, 'status');
  t.is(text.status, 0, text.stderr);
  t.regex(text.stdout, new RegExp(`Leader: ${leader.node}, term ${leader.term}, lease valid for \\d+ ms`));
  t.regex(text.stdout, /Quorum: 3\/3 lock members reachable \(majority 2\)/);
  t.regex(text.stdout, new RegExp(`${leader.node}\\s+online\\s+leader \\(term ${leader.term}\\)`));
  t.notRegex(text.stdout, /SIP/, 'nothing about SIP when no node has a sipProxy');

  // Two members down: no quorum, said plainly, exit code 2.
  await Promise.all([cluster.members[0]!.stop('SIGKILL'), cluster.members[1]!.stop('SIGKILL')]);
  const degraded = clusterctl(config, 'status');
  t.is(degraded.status, 2);
  t.regex(degraded.stdout, /Quorum: 1\/3 lock members reachable \(majority 2\) - NO QUORUM/);
  t.regex(degraded.stdout, /Leader: none/);
});

test.serial('clusterctl names a bad configuration and exits 1', async (t) => {
  const cluster = await TestCluster.start({ members: 1 });
  t.teardown(() => cluster.close());
  const config = join(cluster.dir, 'clusterctl.yaml');
  writeFileSync(config, stringify({ cluster: 'Bad Name', lockMembers: [] }));
  const run = clusterctl(config, 'status');
  t.is(run.status, 1);
  t.regex(run.stderr, /cluster: "Bad Name"/);
  t.regex(run.stderr, /lockMembers/);
});
