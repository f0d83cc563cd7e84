import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { AGENT_MAIN, TestCluster } from '../helpers/cluster.js';

interface Mistake {
  name: string;
  node?: Record<string, unknown>;
  definition?: Record<string, unknown>;
  /** The path the error must name, and a piece of what it must say. */
  names: RegExp;
}

const mistakes: Mistake[] = [
  {
    name: 'a bad node address',
    node: { node: { id: 'stg1', address: '198.51.100.300' } },
    names: /node\.address: "198\.51\.100\.300"/,
  },
  { name: 'a port out of range', node: { http: { port: 70000 } }, names: /http\.port: 70000/ },
  { name: 'a misspelt key', node: { lockMember: [] }, names: /lockMember/ },
  { name: 'a missing lock member list', node: { lockMembers: [] }, names: /lockMembers.*at least one lock member/ },
  {
    name: 'the timing relation broken',
    definition: { timings: { leaseTtlMs: 1000 } },
    names: /leaseTtlMs.*timing relation/,
  },
  {
    name: 'an unknown dependency',
    definition: { resources: [{ id: 'vip', kind: 'ocf', agent: 'vip', placement: 'leader', after: ['haproxy'] }] },
    names: /resources\[0\]\.after\[0\]: "haproxy"/,
  },
];

for (const mistake of mistakes) {
  test.serial(`bad config (${mistake.name}): the agent names the field, exits 78 and starts nothing`, async (t) => {
    const cluster = await TestCluster.start({ members: 1 });
    t.teardown(() => cluster.close());
    if (mistake.definition) cluster.writeDefinition(mistake.definition);
    const configPath = cluster.nodeFile('stg1', mistake.node ?? {});
    const run = spawnSync(process.execPath, [AGENT_MAIN, '--config', configPath], {
      encoding: 'utf8',
      timeout: 10_000,
    });

    t.is(run.status, 78, run.stderr);
    t.regex(run.stderr, mistake.names);
    t.regex(run.stderr, /nothing started/);
    t.false(existsSync(cluster.journalPath('stg1')), 'no journal was opened');
    const member = cluster.members[0]!;
    const client = new Redis({ host: member.host, port: member.port });
    t.teardown(() => client.disconnect());
    t.deepEqual(await client.keys('*'), [], 'nothing was written to the lock member');
  });
}

test.serial('--check-config prints a summary for a valid file and the problems for a bad one', async (t) => {
  const cluster = await TestCluster.start({ members: 1 });
  t.teardown(() => cluster.close());
  const good = spawnSync(process.execPath, [AGENT_MAIN, '--check-config', cluster.nodeFile('stg1')], {
    encoding: 'utf8',
  });
  t.is(good.status, 0, good.stderr);
  t.regex(good.stdout, /configuration valid/);
  t.regex(good.stdout, /lease 2000 ms/);

  const broken = join(cluster.dir, 'broken.yaml');
  writeFileSync(broken, 'cluster: test\nnode: [unclosed\n');
  const bad = spawnSync(process.execPath, [AGENT_MAIN, '--check-config', broken], { encoding: 'utf8' });
  t.is(bad.status, 78);
  t.regex(bad.stderr, /line \d+, column \d+.*valid YAML/);
});
