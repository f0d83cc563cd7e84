import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ClusterStatus } from '../../src/cli/cluster-status.js';
import type { JournalEntry } from '../../src/cluster/journal.js';
import { CLUSTERCTL_MAIN, GUARD_MAIN } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { BED_INTERFACE, BED_PREFIX_LENGTH, BED_VIP, type BedProcess, type NodeName, type TestBed } from './bed.js';

/**
 * stg-cluster on a test bed: a lock member on every node and on the arbiter, a guard (and its agent) on every node,
 * the VIP as the one leader resource. Everything runs inside the bed's namespaces; the bed tears it all down.
 */
export class BedCluster {
  readonly guards = new Map<NodeName, BedProcess>();

  private constructor(
    readonly bed: TestBed,
    readonly nodes: NodeName[],
  ) {}

  /** `vip`: the VIP with its prefix length (default the bed's IPv4 VIP). */
  static async start(
    bed: TestBed,
    { timings, vip = `${BED_VIP}/${BED_PREFIX_LENGTH}` }: { timings?: Record<string, number>; vip?: string } = {},
  ): Promise<BedCluster> {
    const hosts = [...bed.nodes, ...(bed.has('arbiter') ? (['arbiter'] as const) : [])];
    const members = await Promise.all(hosts.map((host) => bed.startRedis(host)));
    const cluster = new BedCluster(bed, bed.nodes);
    writeFileSync(
      join(bed.dir, 'cluster.yaml'),
      stringify({
        cluster: 'bed',
        service: { name: 'sips.example.es', vip },
        ...(timings ? { timings } : {}),
        resources: [
          {
            id: 'vip',
            kind: 'ocf',
            agent: 'vip',
            placement: 'leader',
            params: { ip: vip, nic: BED_INTERFACE },
            monitorIntervalMs: 1000,
            timeouts: { startMs: 5000, stopMs: 5000, monitorMs: 5000 },
          },
        ],
      }),
    );
    for (const node of bed.nodes) {
      writeFileSync(
        cluster.nodeFile(node),
        stringify({
          cluster: 'bed',
          node: { id: node, address: bed.address(node) },
          lockMembers: members.map((member) => ({ host: member.address, port: member.port })),
          dataStore: { host: bed.address(bed.has('arbiter') ? 'arbiter' : node), port: 6380 },
          http: { address: bed.address(node), port: 8401 },
          paths: {
            stateDir: join(bed.dir, node),
            journal: cluster.journalPath(node),
            log: join(bed.dir, `${node}.log`),
          },
          definitionFile: 'cluster.yaml',
        }),
      );
    }
    for (const node of bed.nodes) cluster.startGuard(node);
    return cluster;
  }

  nodeFile(node: NodeName): string {
    return join(this.bed.dir, `${node}.yaml`);
  }

  journalPath(node: NodeName): string {
    return join(this.bed.dir, `${node}.journal.jsonl`);
  }

  startGuard(node: NodeName): BedProcess {
    const guard = this.bed.spawn(node, process.execPath, [GUARD_MAIN, '--config', this.nodeFile(node)], {
      name: 'guard',
    });
    this.guards.set(node, guard);
    return guard;
  }

  /** `clusterctl status --json`, run inside a node's namespace (the lock members are only reachable there). */
  async status(from: NodeName = this.nodes[0]!): Promise<ClusterStatus> {
    const run = await this.bed.run(from, process.execPath, [
      CLUSTERCTL_MAIN,
      '--config',
      this.nodeFile(from),
      'status',
      '--json',
    ]);
    if (run.code !== 0 && run.code !== 2) throw new Error(`clusterctl status failed (${run.code}): ${run.stderr}`);
    return JSON.parse(run.stdout) as ClusterStatus;
  }

  /** The leader with its agent's pid, once the VIP runs there; asked from a node that can reach a majority. */
  async leaderWithVip(aboveTerm = 0, from?: NodeName): Promise<{ node: NodeName; term: number; pid: number }> {
    return waitFor(
      `a leader above term ${aboveTerm} running the VIP`,
      async () => {
        const status = await this.status(from);
        const leader = status.leader;
        if (!leader || leader.term <= aboveTerm) return undefined;
        const vip = status.resources.find((resource) => resource.id === 'vip');
        const started = vip?.instances.some(
          (instance) => instance.node === leader.node && instance.state === 'started',
        );
        const pid = status.nodes.find((node) => node.id === leader.node)?.pid;
        return started && pid ? { node: leader.node as NodeName, term: leader.term, pid } : undefined;
      },
      { timeoutMs: 20_000, everyMs: 100 },
    );
  }

  journal(): JournalEntry[] {
    return this.nodes
      .flatMap((node) => {
        const path = this.journalPath(node);
        if (!existsSync(path)) return [];
        return readFileSync(path, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as JournalEntry);
      })
      .sort((a, b) => a.wallMs - b.wallMs);
  }
}
