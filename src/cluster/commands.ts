import { randomBytes } from 'node:crypto';
import type { ControlPlane } from '../store/control-plane.js';

/** A command for the leader, written by clusterctl; the leader executes each id once and writes the result. */
export type LeaderCommand =
  | { id: string; kind: 'switchover'; to: string | null; issuedAt: string }
  | { id: string; kind: 'config-apply'; definition: unknown; issuedAt: string };

export interface CommandResult {
  id: string;
  ok: boolean;
  message: string;
}

type CommandBody = { kind: 'switchover'; to: string | null } | { kind: 'config-apply'; definition: unknown };

export async function issueCommand(plane: ControlPlane, body: CommandBody): Promise<LeaderCommand> {
  const command = { ...body, id: randomBytes(6).toString('hex'), issuedAt: new Date().toISOString() } as LeaderCommand;
  const stored = await plane.readLatest<LeaderCommand>(plane.keys.command);
  await plane.versionedSet(plane.keys.command, Math.max(Date.now(), (stored?.version ?? 0) + 1), command);
  await plane.wakeAgents(`command ${command.kind}`);
  return command;
}

/** The newest command, when the leader has not answered it yet. */
export async function pendingCommand(plane: ControlPlane): Promise<LeaderCommand | undefined> {
  const [command, result] = await Promise.all([
    plane.readLatest<LeaderCommand>(plane.keys.command),
    plane.readVersioned<CommandResult>(plane.keys.commandResult),
  ]);
  if (!command || result?.value.id === command.value.id) return undefined;
  return command.value;
}

export async function readCommandResult(plane: ControlPlane): Promise<CommandResult | undefined> {
  return (await plane.readVersioned<CommandResult>(plane.keys.commandResult))?.value;
}
