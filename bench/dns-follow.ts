import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { stringify } from 'yaml';
import { freePort } from '../src/local/redis-server.js';
import { CLUSTERCTL_MAIN, TestCluster, wallNow } from '../test/helpers/cluster.js';
import { waitFor } from '../test/helpers/wait.js';
import { DNS_MAIN } from './dns-server.js';

const NODES = ['stg1', 'stg2', 'stg3'];
const ADDRESS: Record<string, string> = { stg1: '127.0.0.11', stg2: '127.0.0.12', stg3: '127.0.0.13' };
/** How often each node's server is asked; the figures are exact to about this much. */
const PROBE_EVERY_MS = 2;
const SETTLE_TIMEOUT_MS = 30_000;

/**
 * Asks every node's DNS for `_sips._tcp` SRV every PROBE_EVERY_MS (UDP, in-process) and remembers, per node, the
 * node its first SRV target names and since when (wall time, comparable with the agents' journals).
 */
class SrvProber {
  private readonly socket = createSocket('udp4');
  private readonly seen = new Map<string, { first: string; since: number }>();
  private readonly timer: NodeJS.Timeout;
  private id = 0;

  constructor(port: number) {
    const byAddress = new Map(NODES.map((node) => [ADDRESS[node]!, node]));
    this.socket.on('message', (message, peer) => {
      const node = byAddress.get(peer.address);
      if (!node) return;
      let first: string | undefined;
      try {
        const answer = dnsPacket.decode(message).answers?.[0] as dnsPacket.SrvAnswer | undefined;
        first = answer?.data.target.split('.')[0];
      } catch {
        return;
      }
      if (!first) return;
      if (this.seen.get(node)?.first !== first) this.seen.set(node, { first, since: wallNow() });
    });
    this.timer = setInterval(() => {
      for (const node of NODES) {
        this.id = (this.id + 1) & 0xffff;
        const query = dnsPacket.encode({
          type: 'query',
          id: this.id,
          questions: [{ name: '_sips._tcp.sips.example.es', type: 'SRV' }],
        });
        this.socket.send(query, port, ADDRESS[node]!);
      }
    }, PROBE_EVERY_MS);
  }

  /** Per node: the node its answers put first now, and since when. */
  firsts(): Map<string, { first: string; since: number }> {
    return this.seen;
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.close();
  }
}

/**
 * In nodes mode, three agents on loopback with stg-dns as a process resource on each node: `runs` switchovers;
 * each time, from the new leader's `lead` journal entry (its new term acquired) to the moment every node's
 * server answers it first in SRV. Returns the samples, ms.
 */
export async function measureFollow(runs: number): Promise<number[]> {
  const cluster = await TestCluster.start({ members: 3 });
  const samples: number[] = [];
  let prober: SrvProber | undefined;
  try {
    const port = await freePort();
    cluster.writeDefinition({
      dns: { port },
      resources: [
        {
          id: 'dns',
          kind: 'process',
          command: [process.execPath, DNS_MAIN],
          placement: 'every-node',
          monitorIntervalMs: 1000,
        },
      ],
    });
    const saved = process.env['STG_NODE_FILE'];
    for (const id of NODES) {
      const file = cluster.nodeFile(id, { node: { id, address: ADDRESS[id] } });
      process.env['STG_NODE_FILE'] = file; // the agent and its process resources find their node file here
      cluster.startAgent(id, file);
    }
    if (saved === undefined) delete process.env['STG_NODE_FILE'];
    else process.env['STG_NODE_FILE'] = saved;
    prober = new SrvProber(port);
    let leader = await cluster.waitForLeader(0, SETTLE_TIMEOUT_MS);
    for (let run = 0; run < runs; run += 1) {
      await everyNodeFirst(prober, leader.node, SETTLE_TIMEOUT_MS);
      await clusterctl(cluster, ['switchover']);
      const next = await cluster.waitForLeader(leader.term, SETTLE_TIMEOUT_MS);
      const firsts = await everyNodeFirst(prober, next.node, SETTLE_TIMEOUT_MS);
      const lead = cluster
        .journal()
        .find((entry) => entry.node === next.node && entry.term === next.term && entry.action === 'lead');
      if (!lead) throw new Error(`no lead entry of ${next.node} for term ${next.term} in the journals`);
      samples.push(Math.max(...firsts) - lead.wallMs);
      leader = next;
    }
  } finally {
    prober?.close();
    await cluster.close();
  }
  return samples;
}

/** Waits until every node answers `leader` first; returns since when each one does (wall ms). */
async function everyNodeFirst(prober: SrvProber, leader: string, timeoutMs: number): Promise<number[]> {
  return waitFor(
    `every node's DNS answering ${leader} first`,
    () => {
      const firsts = NODES.map((node) => prober.firsts().get(node));
      return firsts.every((entry) => entry?.first === leader) ? firsts.map((entry) => entry!.since) : undefined;
    },
    { timeoutMs, everyMs: 5 },
  );
}

/** clusterctl as its own process, without blocking this one's event loop (the prober keeps probing). */
async function clusterctl(cluster: TestCluster, args: string[]): Promise<void> {
  const config = join(cluster.dir, 'clusterctl.yaml');
  if (!existsSync(config)) {
    const lockMembers = cluster.members.map((member) => ({ host: member.host, port: member.port }));
    writeFileSync(config, stringify({ cluster: cluster.cluster, lockMembers }));
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [CLUSTERCTL_MAIN, '--config', config, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`clusterctl ${args.join(' ')} exited ${code}`));
    });
  });
}
