import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse, stringify } from 'yaml';
import { DEFAULT_TIMINGS } from '../../src/config/defaults.js';
import { CLUSTERCTL_MAIN } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { answers, parseDig, type DigAnswer } from '../integration/dns-dig.js';
import { BedCluster } from './bed-cluster.js';
import { BED_VIP, TestBed, type NodeName } from './bed.js';
import { requireRoot } from './require-root.js';

/*
 * The client namespace resolves the service name through the nodes' embedded DNS (stg-dns on port 53 in each node's
 * namespace, started by the test next to the bed cluster's guards): in vip mode, then in nodes mode after a
 * `clusterctl config apply` without the VIP, each time before and after a failover. One bed for both modes.
 */

const DNS_MAIN = fileURLToPath(new URL('../../src/dns/main.js', import.meta.url));
const SERVICE = 'sips.example.es';
const { leaseTtlMs, renewIntervalMs, rankDelayMs, heartbeatTtlMs } = DEFAULT_TIMINGS;
/** stg-dns's default periodic re-read: the bound on following a publication whose signal was lost. */
const DNS_REFRESH_MS = 2000;
/** From a leader's crash to every server answering the next leader's set (see dns-cluster.test.ts). */
const CRASH_BOUND_MS = leaseTtlMs + 2 * rankDelayMs + 2 * renewIntervalMs + DNS_REFRESH_MS;

async function resolve(bed: TestBed, server: string, name: string, type: string): Promise<DigAnswer> {
  const run = await bed.run('client', 'dig', [`@${server}`, name, type, '+norec', '+time=1', '+tries=1']);
  return parseDig(run.stdout);
}

/** Waits until the client, asking `servers`, gets `expected` for the service name's A and SRV (leader first). */
async function clientSees(
  bed: TestBed,
  servers: string[],
  expected: { a: string[]; srvFirst: string },
  timeoutMs: number,
): Promise<void> {
  let last = '';
  await waitFor(
    `the client resolving ${SERVICE} to ${expected.a.join(' ')} (SRV first ${expected.srvFirst}) through ${servers.join(', ')}`,
    async () => {
      for (const server of servers) {
        const a = answers(await resolve(bed, server, SERVICE, 'A'), 'A');
        const srv = answers(await resolve(bed, server, `_sips._tcp.${SERVICE}`, 'SRV'), 'SRV');
        last = `${server}: A ${a.join(' ')}; SRV ${srv.join(', ')}`;
        if (a.join(' ') !== expected.a.join(' ') || !srv[0]?.endsWith(` ${expected.srvFirst}.`)) return false;
      }
      return true;
    },
    { timeoutMs, everyMs: 50, describe: () => last },
  );
}

test('the client resolves the service through the nodes DNS: vip mode, then nodes mode, each across a failover', async (t) => {
  requireRoot(t);
  const bed = await TestBed.create({ nodes: 2 });
  t.teardown(() => bed.destroy());
  const cluster = await BedCluster.start(bed);
  for (const node of bed.nodes) {
    bed.spawn(node, process.execPath, [DNS_MAIN, '--node-file', cluster.nodeFile(node)], { name: 'dns' });
  }
  const nodeAddresses = bed.nodes.map((node) => bed.address(node));

  // vip mode: every node's server, and the VIP itself (bound by both servers through ip_nonlocal_bind, answered by
  // the leader's from the VIP's address), answer the VIP.
  const leader = await cluster.leaderWithVip();
  await clientSees(bed, [...nodeAddresses, BED_VIP], { a: [BED_VIP], srvFirst: SERVICE }, 10_000);
  const soa = answers(await resolve(bed, BED_VIP, 'example.es', 'SOA'), 'SOA')[0] ?? '';
  t.true(soa.startsWith(`${leader.node}.example.es.`), soa);

  // The leader's agent killed: the VIP moves; through it and through every node the answer stays the VIP, and
  // the SOA names the new leader (its set, with its term).
  const other = bed.nodes.find((node) => node !== leader.node)! as NodeName;
  process.kill(leader.pid, 'SIGKILL');
  const next = await cluster.leaderWithVip(leader.term, other);
  t.is(next.node, other);
  await waitFor(
    'every server answering the new leader set',
    async () => {
      for (const server of [...nodeAddresses, BED_VIP]) {
        const serial = answers(await resolve(bed, server, 'example.es', 'SOA'), 'SOA')[0] ?? '';
        if (!serial.startsWith(`${other}.example.es.`)) return false;
      }
      return true;
    },
    { timeoutMs: CRASH_BOUND_MS, everyMs: 50 },
  );
  await clientSees(bed, [...nodeAddresses, BED_VIP], { a: [BED_VIP], srvFirst: SERVICE }, 1000);

  // nodes mode: the definition without the VIP, applied through the leader. Wait for the restarted agent of the
  // old leader first, so that both nodes are healthy.
  await waitFor(
    'both nodes online',
    async () => (await cluster.status(other)).nodes.every((node) => node.state === 'online'),
    { timeoutMs: 15_000, everyMs: 100 },
  );
  const definition = parse(readFileSync(join(bed.dir, 'cluster.yaml'), 'utf8')) as { service: { vip?: string } };
  delete definition.service.vip;
  const nodesFile = join(bed.dir, 'cluster-nodes.yaml');
  writeFileSync(nodesFile, stringify(definition));
  const applied = await bed.run(
    other,
    process.execPath,
    [CLUSTERCTL_MAIN, '--config', cluster.nodeFile(other), 'config', 'apply', nodesFile],
    { timeoutMs: 30_000 },
  );
  t.is(applied.code, 0, applied.stderr || applied.stdout);
  const byLeaderFirst = (first: NodeName) => [first, ...bed.nodes.filter((node) => node !== first)];
  await clientSees(
    bed,
    nodeAddresses,
    { a: byLeaderFirst(other).map((node) => bed.address(node)), srvFirst: `${other}.example.es` },
    2 * renewIntervalMs + DNS_REFRESH_MS + 1000,
  );
  t.is((await resolve(bed, BED_VIP, SERVICE, 'A')).status, 'NO ANSWER', 'no server listens on the VIP any more');

  // A failover in nodes mode: the leader's guard and agent killed together. Both servers (the dead node's keeps
  // running: it is no child of the agent) answer the new leader first; once the dead node's heartbeat expired,
  // only the survivor.
  const last = await cluster.leaderWithVip(0, other);
  const survivor = bed.nodes.find((node) => node !== last.node)! as NodeName;
  bed.signal(cluster.guards.get(last.node as NodeName)!, 'SIGKILL', { group: true });
  await clientSees(
    bed,
    nodeAddresses,
    { a: byLeaderFirst(survivor).map((node) => bed.address(node)), srvFirst: `${survivor}.example.es` },
    CRASH_BOUND_MS,
  );
  await clientSees(
    bed,
    nodeAddresses,
    { a: [bed.address(survivor)], srvFirst: `${survivor}.example.es` },
    heartbeatTtlMs + 2 * renewIntervalMs + DNS_REFRESH_MS,
  );
});
