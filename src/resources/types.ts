import type { ResourceDefinition } from '../config/schema.js';
import type { Logger } from '../log.js';

/** OCF exit codes (the API of a resource agent), with the names operators know from Pacemaker. */
export const OCF_EXIT = {
  0: 'OCF_SUCCESS',
  1: 'OCF_ERR_GENERIC',
  2: 'OCF_ERR_ARGS',
  3: 'OCF_ERR_UNIMPLEMENTED',
  4: 'OCF_ERR_PERM',
  5: 'OCF_ERR_INSTALLED',
  6: 'OCF_ERR_CONFIGURED',
  7: 'OCF_NOT_RUNNING',
  8: 'OCF_RUNNING_PROMOTED',
  9: 'OCF_FAILED_PROMOTED',
} as const;

export type Operation = 'start' | 'stop' | 'monitor' | 'validate-all' | 'meta-data' | 'announce';

/** The outcome of one operation on a resource. A timeout is a failure (rc 1, timedOut true). */
export interface OperationResult {
  operation: Operation;
  rc: number;
  /** OCF_SUCCESS, OCF_NOT_RUNNING, ... or `rc N` for a code outside the table. */
  rcName: string;
  /** The agent's own reason (an `ocf-exit-reason:` line), or ours (timeout, spawn failure), or ''. */
  reason: string;
  timedOut: boolean;
  durationMs: number;
}

/** What every operation of a resource gets to know about where it runs. */
export interface ResourceContext {
  node: string;
  /** The term of the leader that placed it, for leader-only resources started by the leader; else undefined. */
  term: number | undefined;
  /** This agent's state folder: pidfiles and logs of process resources go below it. */
  stateDir: string;
  /** Where our own OCF agents live (resource-agents/), to resolve an `agent` given by name. */
  resourceAgentsDir: string;
  log: Logger;
  /**
   * A one-off monitor (a probe: at agent start, or to find where a resource runs) rather than the recurring one.
   * OCF agents see it as OCF_RESKEY_CRM_meta_interval=0, as under Pacemaker, and may answer more leniently
   * (ClusterLabs agents say 7 rather than 5 when their software is missing on a node that should not run them).
   */
  probe?: boolean;
}

/**
 * Drives one resource on this node. Every method is idempotent (start of a started resource and stop of a stopped
 * one succeed) and bounded by the resource's timeout for that operation. monitor is tri-state: 0 running,
 * 7 cleanly stopped, anything else failed.
 */
export interface ResourceDriver {
  readonly resource: ResourceDefinition;
  start(context: ResourceContext): Promise<OperationResult>;
  stop(context: ResourceContext): Promise<OperationResult>;
  monitor(context: ResourceContext): Promise<OperationResult>;
  validate(context: ResourceContext): Promise<OperationResult>;
}
