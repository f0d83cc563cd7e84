/**
 * Every control-plane key name. One hash tag per cluster keeps a cluster's keys together (and lets one Redis
 * serve several clusters in tests).
 */
export class ControlPlaneKeys {
  readonly prefix: string;

  constructor(readonly cluster: string) {
    this.prefix = `stg:{${cluster}}:`;
  }

  get lease(): string {
    return `${this.prefix}lease`;
  }
  get fence(): string {
    return `${this.prefix}fence`;
  }
  get handoff(): string {
    return `${this.prefix}handoff`;
  }
  get definition(): string {
    return `${this.prefix}definition`;
  }
  get nodes(): string {
    return `${this.prefix}nodes`;
  }
  get heartbeatPrefix(): string {
    return `${this.prefix}node:`;
  }
  heartbeat(node: string): string {
    return `${this.heartbeatPrefix}${node}`;
  }
  /** Pub/sub channel: a message wakes every agent's loop at once instead of at its next tick. */
  get wakeChannel(): string {
    return `${this.prefix}wake`;
  }
}
