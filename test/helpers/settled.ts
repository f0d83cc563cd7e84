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
    { timeoutMs: 15_000 },
  );
}

/** A three-node cluster running the dummy (leader) and the worker (every node). */
export async function startResourceCluster(cluster: TestCluster) {
  cluster.writeDefinition(resourceDefinition(cluster));
  for (const id of NODES) cluster.startAgent(id);
  return settled(cluster);
}
