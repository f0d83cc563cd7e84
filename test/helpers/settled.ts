import type { ClusterStatus } from '../../src/cli/cluster-status.js';
import type { TestCluster } from './cluster.js';
import { resourceDefinition } from './resources.js';
import { waitFor } from './wait.js';

export const NODES = ['stg1', 'stg2', 'stg3'];

export function instanceState(status: ClusterStatus, resource: string, node: string): string | undefined {
  return status.resources.find((entry) => entry.id === resource)?.instances.find((instance) => instance.node === node)
    ?.state;
}

export function runningOn(status: ClusterStatus, resource: string): string[] {
  return (status.resources.find((entry) => entry.id === resource)?.instances ?? [])
    .filter((instance) => instance.state === 'started')
    .map((instance) => instance.node);
}

/** Waits until the dummy runs on the leader only and the worker on every online node; returns that status. */
export async function settled(
  cluster: TestCluster,
  workers = 3,
): Promise<ClusterStatus & { leader: { node: string; term: number } }> {
  return waitFor(
    'the dummy on the leader and the worker on every node',
    async () => {
      const status = await cluster.status();
      const leader = status.leader;
      if (!leader) return undefined;
      const dummy = runningOn(status, 'dummy');
      return dummy.length === 1 && dummy[0] === leader.node && runningOn(status, 'worker').length === workers
        ? (status as ClusterStatus & { leader: { node: string; term: number } })
        : undefined;
    },
    { timeoutMs: 15_000, describe: () => describeStatus(cluster) },
  );
}

/** One line per node and resource instance: enough to tell why a cluster did not settle. */
export async function describeStatus(cluster: TestCluster): Promise<string> {
  const status = await cluster.status();
  const nodes = status.nodes.map((node) => `${node.id} ${node.state}: ${node.refusal ?? node.sentence}`);
  const resources = status.resources.flatMap((resource) =>
    resource.instances.map(
      (instance) => `${resource.id}@${instance.node} ${instance.state} ${instance.blockedBy ?? ''}`,
    ),
  );
  return JSON.stringify({ leader: status.leader, nodes, resources, why: status.resources.map((r) => r.whyNotRunning) });
}

/** A three-node cluster running the dummy (leader) and the worker (every node). */
export async function startResourceCluster(cluster: TestCluster, overrides: { migrationThreshold?: number } = {}) {
  cluster.writeDefinition(resourceDefinition(cluster, overrides));
  for (const id of NODES) cluster.startAgent(id);
  return settled(cluster);
}
