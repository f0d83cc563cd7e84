/** A resource as this node sees it, for /health/<resource> and /metrics. */
export interface ResourceView {
  id: string;
  placement: 'leader' | 'every-node' | 'promotable';
  /** Whether the scheduler placed it on this node. */
  wanted: boolean;
  state: 'started' | 'stopped' | 'failed' | 'unknown';
  failcount: number;
  migrationThreshold: number;
  lastFailure: { operation: string; rc: number; rcName: string; reason: string; at: string } | undefined;
}

/**
 * What the agent's HTTP endpoint reads from the agent. Every call answers from memory (the last tick's view):
 * an HTTP probe never waits on the lock members.
 */
export interface AgentView {
  readonly node: string;
  /** The last tick reached a majority of lock members. */
  seesMajority(): boolean;
  /** The term this agent leads right now (its local bound still holds), else undefined. */
  leaderTerm(): number | undefined;
  /** The highest term this agent has seen. */
  termSeen(): number;
  /** Milliseconds left on the local leadership bound, when leading. */
  leaseLeftMs(): number | undefined;
  resources(): ResourceView[];
  eventLoopLagMs(): number;
}
