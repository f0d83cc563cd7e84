import { clearFailcounts } from '../../cluster/failcounts.js';
import { changeIntent } from '../../cluster/intent.js';
import type { ClusterStatus } from '../cluster-status.js';
import { CommandFailed, type Session } from '../session.js';
import { commandBoundMs } from './bounds.js';

function requireResource(status: ClusterStatus, resource: string): void {
  if (!status.resources.some((entry) => entry.id === resource)) {
    throw new CommandFailed(
      `unknown resource ${resource} (known: ${status.resources.map((entry) => entry.id).join(', ') || 'none'})`,
    );
  }
}

/** Every online node has applied the intent version (so it acts on it from now on). */
function appliedEverywhere(status: ClusterStatus, version: number): boolean {
  return status.nodes.every((node) => node.state === 'offline' || (node.intentVersion ?? 0) >= version);
}

/** `clusterctl cleanup RESOURCE [--node NODE]`: forget failures, so the resource may run (and the node lead) again. */
export async function cleanupCommand(session: Session, resource: string, node: string | undefined): Promise<string> {
  const status = await session.status();
  requireResource(status, resource);
  if (node !== undefined && !status.nodes.some((known) => known.id === node)) {
    throw new CommandFailed(
      `unknown node ${node} (known: ${status.nodes.map((known) => known.id).join(', ') || 'none'})`,
    );
  }
  const removed = await clearFailcounts(session.plane, resource, node);
  process.stdout.write(`cleanup: ${removed} failure record(s) of ${resource}${node ? ` on ${node}` : ''} removed\n`);
  return session.waitFor(
    `the failure count of ${resource} back to 0`,
    (now) => {
      const entry = now.resources.find((candidate) => candidate.id === resource);
      const counts = entry?.instances.filter((instance) => !node || instance.node === node) ?? [];
      return counts.every((instance) => instance.failcount === 0)
        ? `done: ${resource} has no failure counted`
        : undefined;
    },
    await commandBoundMs(session),
  );
}

/** `clusterctl unmanage|manage RESOURCE`: the agents leave it alone (monitor only) or take it back. */
export async function manageCommand(session: Session, resource: string, managed: boolean): Promise<string> {
  requireResource(await session.status(), resource);
  process.stdout.write(
    managed
      ? `manage: ${resource} is started, stopped and moved by the cluster again\n`
      : `unmanage: ${resource} is left as it is (monitored and reported only)\n`,
  );
  const intent = await changeIntent(session.plane, (current) => ({
    ...current,
    unmanaged: managed
      ? current.unmanaged.filter((id) => id !== resource)
      : [...new Set([...current.unmanaged, resource])].sort(),
  }));
  return session.waitFor(
    'every online node to apply it',
    (status) =>
      appliedEverywhere(status, intent.version)
        ? `done: ${resource} is ${managed ? 'managed' : 'unmanaged'}`
        : undefined,
    await commandBoundMs(session),
  );
}

/** `clusterctl maintenance on|off`: monitor and report only, or resume management. */
export async function maintenanceCommand(session: Session, on: boolean): Promise<string> {
  if ((await session.status()).maintenance === on) return `maintenance is already ${on ? 'on' : 'off'}`;
  process.stdout.write(
    on
      ? 'maintenance on: resources keep running and are monitored; nothing is started, stopped or moved\n'
      : 'maintenance off: the cluster manages resources again (what is not where it should be is corrected)\n',
  );
  const intent = await changeIntent(session.plane, (current) => ({ ...current, maintenance: on }));
  return session.waitFor(
    'every online node to apply it',
    (status) => (appliedEverywhere(status, intent.version) ? `done: maintenance is ${on ? 'on' : 'off'}` : undefined),
    await commandBoundMs(session),
  );
}
