import { join } from 'node:path';
import type { ClusterStatus } from '../cli/cluster-status.js';
import { BedCluster } from '../../test/system/bed-cluster.js';
import { TestBed, type NodeName } from '../../test/system/bed.js';
import { clock, summarizeStatus } from './status-watch.js';

/*
 * `npm run demo -- --netns` (root): the multi-host demo on the system tests' bed. Nodes stg1..stgN, an arbiter and
 * a client, each in its own network namespace on one bridge (198.51.100.0/24); every node runs its lock member and
 * its guard (which runs its agent); the VIP 198.51.100.10 moves with the leader. The lock members live inside the
 * namespaces, never reachable from the root namespace, so the status is read by running clusterctl inside a node.
 */

const WATCH_EVERY_MS = 1000;

export interface NetnsDemoOptions {
  nodes: 2 | 3;
  say: (line: string) => void;
}

export async function runNetnsDemo({ nodes, say }: NetnsDemoOptions): Promise<void> {
  if (process.getuid?.() !== 0) {
    say('demo --netns needs root: it creates network namespaces, links and addresses (run it as root)');
    process.exit(1);
  }
  say(`stg-cluster demo on network namespaces: ${nodes} nodes, an arbiter and a client; building the bed...`);
  const bed = await TestBed.create({ nodes, arbiter: nodes === 2 });
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    say(`${clock()} ${reason}: stopping every process of the bed and deleting its namespaces`);
    await bed.destroy();
    say(`stopped; logs were in ${bed.dir} (removed)`);
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));

  const cluster = await BedCluster.start(bed);
  say(describeBed(bed, cluster));
  let last = '';
  while (!stopping) {
    const [status, reachable] = await Promise.all([readStatus(cluster), bed.ping('client', bed.vip)]);
    const line = `${status ? summarizeStatus(status) : 'status unreadable from every node'} | client -> VIP ${reachable ? 'answers' : 'NO ANSWER'}`;
    if (line !== last && !stopping) say(`${clock()} ${line}`);
    last = line;
    await new Promise((resolve) => setTimeout(resolve, WATCH_EVERY_MS));
  }
}

/** The status from the first node that can read it with a majority (a dead or cut node cannot). */
async function readStatus(cluster: BedCluster): Promise<ClusterStatus | undefined> {
  for (const node of cluster.nodes) {
    try {
      const status = await cluster.status(node);
      if (status.quorum.reachable >= status.quorum.majority) return status;
    } catch {
      // this node cannot tell: ask the next one
    }
  }
  return undefined;
}

function describeBed(bed: TestBed, cluster: BedCluster): string {
  const hosts = bed.hosts.map(
    (host) => `  ${host.padEnd(8)} ${bed.address(host).padEnd(15)} namespace ${bed.ns(host)}`,
  );
  const first = cluster.nodes[0] as NodeName;
  const clusterctl = `ip netns exec ${bed.ns(first)} ${process.execPath} dist/src/cli/clusterctl.js --config ${cluster.nodeFile(first)}`;
  return [
    'hosts (bridge 198.51.100.0/24):',
    ...hosts,
    `VIP ${bed.vip}/${bed.prefixLength} on the leader's ${bed.interface}; files and logs in ${bed.dir}`,
    'try, from another terminal:',
    `  ${clusterctl} status`,
    `  ${clusterctl} switchover`,
    `  kill -9 <the leader's pid from status>        (the guard removes the VIP, the other node takes it)`,
    `  ip netns exec ${bed.ns('client')} ping ${bed.vip}`,
    `  tail -f ${join(bed.dir, `${first}.log`)}`,
    'Ctrl-C stops everything and deletes the namespaces.',
  ].join('\n');
}
