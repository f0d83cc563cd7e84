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
  /** Desired placement, written by the leader (fenced by its term). */
  get placement(): string {
    return `${this.prefix}placement`;
  }
  /** Operator intent (standby nodes, maintenance, unmanaged resources), written by clusterctl. */
  get intent(): string {
    return `${this.prefix}intent`;
  }
  /** The last operator command for the leader (switchover, config apply), written by clusterctl. */
  get command(): string {
    return `${this.prefix}command`;
  }
  /** The leader's answer to the last command it executed (fenced by its term). */
  get commandResult(): string {
    return `${this.prefix}command-result`;
  }
  /** Failure counts, one field per node and resource. */
  get failcounts(): string {
    return `${this.prefix}failcounts`;
  }
  /** Capped stream of cluster events (leader changes, resource operations, operator commands). */
  get events(): string {
    return `${this.prefix}events`;
  }
  /** Pub/sub channel: a message wakes every agent's loop at once instead of at its next tick. */
  get wakeChannel(): string {
    return `${this.prefix}wake`;
  }
  /** The DNS record set the leader publishes (fenced by its term); every node's DNS server answers from it. */
  get dnsRecords(): string {
    return `${this.prefix}dns:records`;
  }
  /** Pub/sub channel: the leader published a new DNS record set (the message is `<term>:<version>`). */
  get dnsChannel(): string {
    return `${this.prefix}dns:changed`;
  }
  /** The set of nodes whose DNS server has reported its state. */
  get dnsServers(): string {
    return `${this.prefix}dns:servers`;
  }
  get dnsServerPrefix(): string {
    return `${this.prefix}dns:server:`;
  }
  /** The leader's external DNS updater state (RFC 2136), for clusterctl; expires unless the leader refreshes it. */
  get dnsExternal(): string {
    return `${this.prefix}dns:external`;
  }
  /** One DNS server's state (listening addresses, the set it serves, last refresh), expiring unless refreshed. */
  dnsServer(node: string): string {
    return `${this.dnsServerPrefix}${node}`;
  }
}
