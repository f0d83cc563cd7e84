import { issueCommand, readCommandResult } from '../../cluster/commands.js';
import type { ClusterStatus } from '../cluster-status.js';
import { CommandFailed, type Session } from '../session.js';
import { DEFAULT_TIMINGS } from '../../config/defaults.js';
import type { ClusterDefinition } from '../../config/schema.js';
import { commandBoundMs } from './bounds.js';

/** Agents send a heartbeat every tick (200 ms by default); one older than this comes from a silent agent. */
const HEALTHY_HEARTBEAT_AGE_MS = 1000;

/** Why `node` cannot take over now, from the status, or undefined when it can. */
export function whyNotEligible(status: ClusterStatus, node: string): string | undefined {
  const view = status.nodes.find((known) => known.id === node);
  if (!view) return `unknown node ${node} (known: ${status.nodes.map((known) => known.id).join(', ') || 'none'})`;
  if (view.state === 'offline') return `${node} is offline`;
  if (status.standby.includes(node)) return `${node} is in standby`;
  if (view.refusal) return `${node} refuses to lead: ${view.refusal}`;
  return undefined;
}

/** `clusterctl switchover [--to NODE]`: the healthy leader hands over (leader resources stop, then start there). */
export async function switchoverCommand(session: Session, to: string | undefined): Promise<string> {
  const before = await session.status();
  const leader = before.leader;
  if (!leader) throw new CommandFailed('no leader to switch over from; use `clusterctl failover --to NODE`');
  refuseInMaintenance(before, 'switchover');
  if (to === leader.node) throw new CommandFailed(`${to} already leads (term ${leader.term})`);
  const refusal = to ? whyNotEligible(before, to) : undefined;
  if (refusal) throw new CommandFailed(`switchover refused: ${refusal}`);
  process.stdout.write(
    `switchover: ${leader.node} (term ${leader.term}) hands over to ${to ?? 'the next eligible node'}\n`,
  );
  const command = await issueCommand(session.plane, { kind: 'switchover', to: to ?? null });
  return session.waitFor(
    `a new leader${to ? ` on ${to}` : ''} after term ${leader.term}`,
    async (status) => {
      // The leader refuses when the target stopped being eligible meanwhile: report it at once.
      const result = await readCommandResult(session.plane);
      if (result?.id === command.id && !result.ok) throw new CommandFailed(result.message);
      const now = status.leader;
      if (!now || now.term <= leader.term || (to && now.node !== to)) return undefined;
      return leaderResourcesSettled(status, now.node, now.term)
        ? `done: ${now.node} leads (term ${now.term})${startedThere(status, now.node)}`
        : undefined;
    },
    await commandBoundMs(session),
  );
}

/**
 * `clusterctl failover --to NODE`: when no healthy leader exists, let NODE take the lease first (a handoff naming it,
 * as a graceful release would). Refused while a leader is healthy: that is what switchover is for.
 */
export async function failoverCommand(session: Session, to: string): Promise<string> {
  const before = await session.status();
  const leader = before.leader;
  if (leader && healthy(before, leader.node)) {
    throw new CommandFailed(`${leader.node} leads (term ${leader.term}): use \`clusterctl switchover --to ${to}\``);
  }
  refuseInMaintenance(before, 'failover');
  const refusal = whyNotEligible(before, to);
  if (refusal) throw new CommandFailed(`failover refused: ${refusal}`);
  const what = leader ? `${leader.node} holds the lease but its agent is silent` : 'no leader';
  process.stdout.write(`failover: ${what}; ${to} gets the first turn to take the lease once it is free\n`);
  const bound = await commandBoundMs(session);
  const plane = session.plane;
  // The handoff lasts until the lease is free plus two ttls: enough for `to` to take it, short enough that the
  // others may go if `to` dies meanwhile.
  const definition = await plane.readVersioned<ClusterDefinition>(plane.keys.definition).catch(() => undefined);
  const ttl = definition?.value.timings.leaseTtlMs ?? DEFAULT_TIMINGS.leaseTtlMs;
  const handoffMs = (leader?.leaseLeftMs ?? 0) + 2 * ttl;
  const answers = await plane.onAll((member) => member.client.set(plane.keys.handoff, to, 'PX', handoffMs));
  plane.requireMajority('failover handoff', answers);
  await plane.wakeAgents('failover');
  return session.waitFor(
    `${to} leading`,
    (status) =>
      status.leader?.node === to && leaderResourcesSettled(status, to, status.leader.term)
        ? `done: ${to} leads (term ${status.leader.term})${startedThere(status, to)}`
        : undefined,
    bound,
  );
}

/**
 * The new leader has placed the leader resources (a placement of its own term) and each one placed on it runs
 * there or failed there (status says why): a switchover is done when the service is back, not when the lease moved.
 */
function leaderResourcesSettled(status: ClusterStatus, node: string, term: number): boolean {
  if (status.placement?.term !== term) return false;
  return status.resources
    .filter((resource) => resource.placement === 'leader' && resource.managed && resource.placedOn.includes(node))
    .every((resource) => {
      const instance = resource.instances.find((entry) => entry.node === node);
      return instance?.state === 'started' || instance?.state === 'failed';
    });
}

function startedThere(status: ClusterStatus, node: string): string {
  const started = status.resources
    .filter((resource) => resource.placement === 'leader')
    .filter((resource) => resource.instances.some((entry) => entry.node === node && entry.state === 'started'))
    .map((resource) => resource.id);
  return started.length > 0 ? `; started there: ${started.join(', ')}` : '';
}

/** Maintenance promises that nothing moves: a move asked for meanwhile is refused, not deferred in silence. */
function refuseInMaintenance(status: ClusterStatus, command: string): void {
  if (status.maintenance) {
    throw new CommandFailed(
      `${command} refused: maintenance is on (nothing is moved); \`clusterctl maintenance off\` first`,
    );
  }
}

/** A leader is healthy while its agent's heartbeat is fresh (a few ticks), not merely while its lease lasts. */
function healthy(status: ClusterStatus, node: string): boolean {
  const view = status.nodes.find((known) => known.id === node);
  return view?.state === 'online' && (view.heartbeatAgeMs ?? Infinity) <= HEALTHY_HEARTBEAT_AGE_MS;
}

/** `clusterctl move RESOURCE NODE`: a leader resource moves with leadership; an every-node resource cannot move. */
export async function moveCommand(session: Session, resource: string, node: string): Promise<string> {
  const status = await session.status();
  const found = status.resources.find((entry) => entry.id === resource);
  if (!found) {
    throw new CommandFailed(
      `unknown resource ${resource} (known: ${status.resources.map((entry) => entry.id).join(', ') || 'none'})`,
    );
  }
  if (found.placement !== 'leader') {
    throw new CommandFailed(
      `${resource} runs on every node (placement ${found.placement}): it cannot move; use \`clusterctl standby NODE\` to empty a node`,
    );
  }
  if (status.leader?.node === node) return `${resource} already runs with the leader on ${node}`;
  process.stdout.write(`move: ${resource} follows leadership, so this is a switchover to ${node}\n`);
  return switchoverCommand(session, node);
}
