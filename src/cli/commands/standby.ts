import { changeIntent } from '../../cluster/intent.js';
import type { ClusterStatus } from '../cluster-status.js';
import { CommandFailed, type Session } from '../session.js';
import { commandBoundMs } from './bounds.js';

/** `clusterctl standby|unstandby NODE`: empty a node of its resources (and of leadership), or take it back. */
export async function standbyCommand(session: Session, node: string, standby: boolean): Promise<string> {
  const before = await session.status();
  if (!before.nodes.some((known) => known.id === node)) {
    throw new CommandFailed(
      `unknown node ${node} (known: ${before.nodes.map((known) => known.id).join(', ') || 'none'})`,
    );
  }
  if (before.standby.includes(node) === standby)
    return `${node} is already ${standby ? 'in standby' : 'out of standby'}`;
  process.stdout.write(
    standby
      ? `${node} goes to standby: its resources stop${before.leader?.node === node ? ', and it hands leadership over' : ''}\n`
      : `${node} leaves standby: it may run resources and lead again\n`,
  );
  if (before.maintenance) {
    await changeIntent(session.plane, (current) => ({
      ...current,
      standby: standby ? [...current.standby, node].sort() : current.standby.filter((id) => id !== node),
    }));
    return `done: ${node} is marked ${standby ? 'standby' : 'out of standby'}; maintenance is on, so nothing starts or stops until \`clusterctl maintenance off\``;
  }
  const intent = await changeIntent(session.plane, (current) => ({
    ...current,
    standby: standby ? [...current.standby, node].sort() : current.standby.filter((id) => id !== node),
  }));
  return session.waitFor(
    `${node} ${standby ? 'in standby with no resource running' : 'out of standby'}`,
    (status) =>
      applied(status, node, intent.version) && (!standby || emptied(status, node)) ? describe(status, node) : undefined,
    await commandBoundMs(session),
  );
}

/** The node has applied the intent version (or is offline, where nothing runs anyway). */
function applied(status: ClusterStatus, node: string, version: number): boolean {
  const view = status.nodes.find((known) => known.id === node);
  return !view || view.state === 'offline' || (view.intentVersion ?? 0) >= version;
}

function emptied(status: ClusterStatus, node: string): boolean {
  const running = status.resources.some((resource) =>
    resource.instances.some((instance) => instance.node === node && instance.state === 'started'),
  );
  return !running && status.leader?.node !== node;
}

function describe(status: ClusterStatus, node: string): string {
  const state = status.nodes.find((known) => known.id === node)?.state ?? 'unknown';
  const leader = status.leader ? `leader ${status.leader.node} (term ${status.leader.term})` : 'no leader';
  return `done: ${node} is ${state}; ${leader}`;
}
