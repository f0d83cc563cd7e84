import { basename, isAbsolute, join } from 'node:path';
import type { ResourceDefinition } from '../config/schema.js';
import { runCommand, type CommandOutcome, type CommandRunner } from './command.js';
import { exitReason, logOutcome, OCF_EXIT_CODE, operationResult } from './result.js';
import type { Operation, OperationResult, ResourceContext, ResourceDriver } from './types.js';

/** Where ClusterLabs agents find ocf-shellfuncs (Debian's resource-agents package installs below it). */
export const OCF_ROOT = '/usr/lib/ocf';

/** The output of `meta-data` with the outcome of running it. */
export interface MetaData {
  result: OperationResult;
  /** The agent's XML description (its stdout); '' when the action failed. */
  xml: string;
}

/**
 * Drives an OCF resource agent: one run of the executable per operation, the action as its only argument, the
 * parameters as `OCF_RESKEY_<name>` in its environment, and its exit code as the answer (OCF_EXIT).
 */
export class OcfDriver implements ResourceDriver {
  constructor(
    readonly resource: ResourceDefinition,
    private readonly run: CommandRunner = runCommand,
  ) {}

  start(context: ResourceContext): Promise<OperationResult> {
    return this.operate('start', context, this.resource.timeouts.startMs);
  }

  stop(context: ResourceContext): Promise<OperationResult> {
    return this.operate('stop', context, this.resource.timeouts.stopMs);
  }

  monitor(context: ResourceContext): Promise<OperationResult> {
    return this.operate('monitor', context, this.resource.timeouts.monitorMs);
  }

  /** validate-all, bounded by the monitor timeout (it is a check as light as a monitor). */
  validate(context: ResourceContext): Promise<OperationResult> {
    return this.operate('validate-all', context, this.resource.timeouts.monitorMs);
  }

  /** The VIP agent's one-shot gratuitous ARP (or unsolicited neighbour advertisement), bounded like a monitor. */
  announce(context: ResourceContext): Promise<OperationResult> {
    return this.operate('announce', context, this.resource.timeouts.monitorMs);
  }

  async metaData(context: ResourceContext): Promise<MetaData> {
    const { result, outcome } = await this.execute('meta-data', context, this.resource.timeouts.monitorMs);
    return { result, xml: result.rc === OCF_EXIT_CODE.SUCCESS ? outcome.stdout : '' };
  }

  /**
   * The executable: an absolute path as given; `ocf:<provider>:<type>` (Pacemaker's notation) below
   * OCF_ROOT/resource.d; any other name below the context's resource-agents folder.
   */
  agentPath(context: ResourceContext): string {
    const agent = this.resource.agent ?? '';
    if (isAbsolute(agent)) return agent;
    const standard = /^ocf:([^:/]+):([^:/]+)$/.exec(agent);
    if (standard) return join(OCF_ROOT, 'resource.d', standard[1]!, standard[2]!);
    return join(context.resourceAgentsDir, agent);
  }

  private async operate(operation: Operation, context: ResourceContext, timeoutMs: number) {
    return (await this.execute(operation, context, timeoutMs)).result;
  }

  private async execute(operation: Operation, context: ResourceContext, timeoutMs: number) {
    const startedAt = performance.now();
    const path = this.agentPath(context);
    const log = context.log.child({ resource: this.resource.id, operation });
    const env = this.environment(operation, path, context, timeoutMs);
    const outcome = await this.run(path, [operation], { timeoutMs, env });
    const { rc, reason } = interpret(path, outcome, timeoutMs);
    const result = operationResult(operation, rc, reason, startedAt, outcome.timedOut);
    // meta-data's stdout is the XML, returned to the caller rather than logged line by line.
    logOutcome(log, result, { stdout: operation === 'meta-data' ? '' : outcome.stdout, stderr: outcome.stderr });
    return { result, outcome };
  }

  private environment(
    operation: Operation,
    path: string,
    context: ResourceContext,
    timeoutMs: number,
  ): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.resource.params)) env[`OCF_RESKEY_${name}`] = value;
    return {
      ...env,
      OCF_ROOT,
      OCF_RA_VERSION_MAJOR: '1',
      OCF_RA_VERSION_MINOR: '1',
      OCF_RESOURCE_INSTANCE: this.resource.id,
      OCF_RESOURCE_TYPE: basename(path),
      OCF_RESKEY_CRM_meta_timeout: String(timeoutMs),
      // Pacemaker's: the recurring monitor's interval; 0 for a probe and for every other action.
      OCF_RESKEY_CRM_meta_interval:
        operation === 'monitor' && !context.probe ? String(this.resource.monitorIntervalMs) : '0',
      // Pacemaker's temp folder for agents' state files, one per node (several nodes may share a host in tests).
      HA_RSCTMP: join(context.stateDir, 'rsctmp'),
      // Our own meta: where and under which leader term the action runs (the dummy journals them).
      STG_NODE: context.node,
      STG_TERM: context.term === undefined ? '' : String(context.term),
    };
  }
}

/** The OCF code and reason of a finished run: the agent's own, or ours when it timed out or never ran. */
export function interpret(path: string, outcome: CommandOutcome, timeoutMs: number): { rc: number; reason: string } {
  if (outcome.timedOut) return { rc: OCF_EXIT_CODE.ERR_GENERIC, reason: `timed out after ${timeoutMs} ms` };
  if (outcome.spawnError !== undefined) {
    // As Pacemaker's executor: a missing agent is not installed, an unexecutable one lacks permission.
    const rc =
      outcome.spawnError === 'ENOENT'
        ? OCF_EXIT_CODE.ERR_INSTALLED
        : outcome.spawnError === 'EACCES'
          ? OCF_EXIT_CODE.ERR_PERM
          : OCF_EXIT_CODE.ERR_GENERIC;
    return { rc, reason: `cannot execute ${path}: ${outcome.spawnError}` };
  }
  const reason = exitReason(outcome.stderr);
  if (outcome.exitCode === undefined) {
    return { rc: OCF_EXIT_CODE.ERR_GENERIC, reason: reason || `killed by ${outcome.signal ?? 'an unknown signal'}` };
  }
  return { rc: outcome.exitCode, reason };
}
