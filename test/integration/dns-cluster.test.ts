import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { checkJournalMutex } from '../../src/cluster/journal.js';
import { DEFAULT_TIMINGS } from '../../src/config/defaults.js';
import type { DnsStatus } from '../../src/dns/dns-status.js';
import { freePort } from '../../src/local/redis-server.js';
import { TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { answers, dig } from './dns-dig.js';

/*
 * Three agents on loopback, each node with its own loopback address (127.0.0.11-13: the whole of 127/8 is local),
 * running stg-dns as an every-node `process` resource next to a stand-in SIP proxy. The leader publishes the
 * record set (nodes mode: no VIP); every node's DNS answers it. Each agent gets its node file in STG_NODE_FILE,
 * which its process resources inherit, as /etc/stg-cluster/node.yaml would be found on a real host.
 */

const DNS_MAIN = fileURLToPath(new URL('../../src/dns/main.js', import.meta.url));
const NODES = ['stg1', 'stg2', 'stg3'] as const;
const ADDRESS: Record<string, string> = { stg1: '127.0.0.11', stg2: '127.0.0.12', stg3: '127.0.0.13' };
/** stg-dns's periodic re-read (its default): the bound when a pub/sub signal is lost. */
const DNS_REFRESH_MS = 2000;
const { leaseTtlMs, renewIntervalMs, rankDelayMs, heartbeatTtlMs } = DEFAULT_TIMINGS;
/** From a new leader to every node answering its set: one leader tick, then (at worst) one periodic re-read. */
const FOLLOW_BOUND_MS = 2 * renewIntervalMs + DNS_REFRESH_MS;
/** From the leader's SIGKILL: its lease runs out, the next candidates wait their rank, then FOLLOW_BOUND_MS. */
const CRASH_BOUND_MS = leaseTtlMs + NODES.length * rankDelayMs + FOLLOW_BOUND_MS;

const SERVICE = 'sips.example.es';

async function srvTargets(node: string, port: number): Promise<string[]> {
  return answers(await dig(ADDRESS[node]!, port, `_sips._tcp.${SERVICE}`, 'SRV'), 'SRV');
}

/** Every listed node's DNS answers with `leader` first in SRV priority and exactly `expected` as A records. */
async function everyNodeAnswers(
  nodes: readonly string[],
  port: number,
  leader: string,
  expected: readonly string[],
  timeoutMs: number,
): Promise<void> {
  let last = '';
  await waitFor(
    `every node's DNS answering ${leader} first and A ${expected.join(' ')}`,
    async () => {
      for (const node of nodes) {
        const srv = await srvTargets(node, port);
        const a = answers(await dig(ADDRESS[node]!, port, SERVICE, 'A'), 'A');
        last = `${node}: SRV ${srv.join(', ')}; A ${a.join(' ')}`;
        if (!srv[0]?.startsWith(`10 50 5554 ${leader}.example.es.`)) return false;
        if (a.join(' ') !== expected.join(' ')) return false;
      }
      return true;
    },
    { timeoutMs, everyMs: 25, describe: () => last },
  );
}

test('every node answers the leader published set; after a switchover and a leader crash, the new one', async (t) => {
  const cluster = await TestCluster.start({ members: 3 });
  t.teardown(() => cluster.close());
  const port = await freePort();
  const every = { placement: 'every-node', monitorIntervalMs: 300, timeouts: { startMs: 5000, stopMs: 5000 } };
  cluster.writeDefinition({
    dns: { port, ttlS: 2 },
    resources: [
      { id: 'dns', kind: 'process', command: [process.execPath, DNS_MAIN], ...every },
      {
        id: 'sip-proxy',
        kind: 'process',
        command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
        migrationThreshold: 1,
        ...every,
      },
    ],
  });
  const saved = process.env['STG_NODE_FILE'];
  try {
    for (const id of NODES) {
      const file = cluster.nodeFile(id, { node: { id, address: ADDRESS[id] } });
      process.env['STG_NODE_FILE'] = file; // inherited by this agent (spawned now) and by its process resources
      cluster.startAgent(id, file);
    }
  } finally {
    if (saved === undefined) delete process.env['STG_NODE_FILE'];
    else process.env['STG_NODE_FILE'] = saved;
  }
  const first = await cluster.waitForLeader();
  const others = NODES.filter((node) => node !== first.node);
  const all = [first.node, ...others].map((node) => ADDRESS[node]!);
  await everyNodeAnswers(NODES, port, first.node, all, 20_000);

  // Every node answers the same zone: same SOA serial, NS for each node, NAPTR, NXDOMAIN, REFUSED, TCP.
  const serials = await Promise.all(
    NODES.map(async (node) => answers(await dig(ADDRESS[node]!, port, 'example.es', 'SOA'), 'SOA')[0]),
  );
  t.is(new Set(serials).size, 1, serials.join(' | '));
  t.regex(
    serials[0] ?? '',
    new RegExp(`^${first.node}\\.example\\.es\\. hostmaster\\.example\\.es\\. \\d+ 300 60 86400 2$`),
  );
  const at = ADDRESS[others[0]!]!;
  t.deepEqual(
    answers(await dig(at, port, 'example.es', 'NS'), 'NS'),
    NODES.map((node) => `${node}.example.es.`),
  );
  t.deepEqual(answers(await dig(at, port, 'stg3.example.es', 'A'), 'A'), ['127.0.0.13']);
  t.is(answers(await dig(at, port, SERVICE, 'NAPTR'), 'NAPTR').length, 3);
  t.is((await dig(at, port, 'nope.example.es', 'A')).status, 'NXDOMAIN');
  t.is((await dig(at, port, 'example.net', 'A')).status, 'REFUSED');
  t.deepEqual(answers(await dig(at, port, SERVICE, 'A', ['+tcp']), 'A'), all);

  // A switchover: every node answers the new leader first.
  const switched = cluster.clusterctl('switchover');
  t.is(switched.status, 0, switched.stderr);
  const second = await cluster.waitForLeader(first.term);
  const afterSwitch = [second.node, ...NODES.filter((node) => node !== second.node)].map((node) => ADDRESS[node]!);
  await everyNodeAnswers(NODES, port, second.node, afterSwitch, FOLLOW_BOUND_MS);

  // The leader's agent SIGKILLed: its DNS process lives on (a process resource survives its agent) and follows the
  // new leader as the others do; once its heartbeat has expired, the dead node leaves the answers.
  const killedAt = Date.now();
  await cluster.agents.get(second.node)!.stop('SIGKILL');
  const third = await cluster.waitForLeader(second.term, CRASH_BOUND_MS);
  const alive = NODES.filter((node) => node !== second.node);
  await everyNodeAnswers(
    NODES,
    port,
    third.node,
    [third.node, ...NODES.filter((node) => node !== third.node)].map((node) => ADDRESS[node]!),
    CRASH_BOUND_MS - (Date.now() - killedAt),
  );
  t.log(
    `every node answered ${third.node} first ${Date.now() - killedAt} ms after the SIGKILL (bound ${CRASH_BOUND_MS} ms)`,
  );
  const survivors = [third.node, ...alive.filter((node) => node !== third.node)].map((node) => ADDRESS[node]!);
  await everyNodeAnswers(NODES, port, third.node, survivors, heartbeatTtlMs + FOLLOW_BOUND_MS);

  // The SIP proxy of the other survivor dies; past its migration threshold (1) it may not run there: left out.
  const follower = alive.find((node) => node !== third.node)!;
  const proxyPidfile = join(cluster.dir, follower, 'resources', 'sip-proxy.pid');
  t.true(existsSync(proxyPidfile));
  process.kill(Number(readFileSync(proxyPidfile, 'utf8').trim().split(/\s+/)[0]), 'SIGKILL');
  await everyNodeAnswers(NODES, port, third.node, [ADDRESS[third.node]!], 10_000);

  const status = JSON.parse(cluster.clusterctl('dns', '--json').stdout) as DnsStatus;
  t.like(status.published, { term: third.term, mode: 'nodes', leader: third.node, answering: [third.node] });
  t.deepEqual(
    status.published?.leftOut.map((entry) => entry.node).sort(),
    [second.node, follower].sort(),
    JSON.stringify(status.published?.leftOut),
  );
  t.deepEqual(
    status.servers.map((server) => server.node),
    [...NODES],
    'every node (also the one whose agent died) runs its server',
  );
  t.deepEqual(checkJournalMutex(cluster.journal()), []);
});
