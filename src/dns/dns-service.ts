import type { Logger } from '../log.js';
import type { ControlPlane } from '../store/control-plane.js';
import { CompiledZone } from './compiled-zone.js';
import { RecordSetFollower, controlPlaneSource, type RecordSetSource } from './follower.js';
import { ListenerSet } from './listeners.js';
import type { ServedRecordSet } from './record-set.js';
import { Responder } from './responder.js';
import { STATE_INTERVAL_MS, removeServerState, writeServerState, type DnsServerState } from './server-state.js';

/** How long the first read waits for the lock members to be connected and identified (else it fails, is retried). */
const IDENTIFY_WAIT_MS = 2000;

export interface DnsServiceOptions {
  node: string;
  /** The node's own address (from its node file): always listened on unless `listen` says otherwise. */
  nodeAddress: string;
  plane: ControlPlane;
  /** Explicit addresses (`--listen`); by default the node address and, in vip mode, the VIP. */
  listen: readonly string[] | undefined;
  /** Explicit port (`--port`); by default the published set's port (the definition's `dns.port`). */
  port: number | undefined;
  /** What to listen on before any set is read: the bootstrap definition's port and VIP. */
  initial: { port: number; vip: string | null };
  refreshMs: number;
  log: Logger;
  /** Tests give their own source; by default the control plane. */
  source?: RecordSetSource;
}

/**
 * One node's DNS server: the listeners, the responder with the zone in force, the follower that keeps the newest
 * published set, and the state it reports for `clusterctl dns`.
 */
export class DnsService {
  readonly responder = new Responder();
  private readonly listeners: ListenerSet;
  private readonly follower: RecordSetFollower;
  private readonly startedAt = new Date().toISOString();
  private stateTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: DnsServiceOptions) {
    this.listeners = new ListenerSet(this.responder, options.log);
    this.follower = new RecordSetFollower({
      source: options.source ?? controlPlaneSource(options.plane),
      refreshMs: options.refreshMs,
      log: options.log,
      onNewer: (served) => this.serve(served),
    });
  }

  /** Listens (answering SERVFAIL until a set is read), then follows the published set. */
  async start(): Promise<void> {
    const { initial } = this.options;
    await this.listeners.want(this.addresses(initial.vip), this.options.port ?? initial.port);
    await membersIdentified(this.options.plane, IDENTIFY_WAIT_MS);
    await this.follower.start();
    this.stateTimer = setInterval(() => void this.report(), STATE_INTERVAL_MS);
    void this.report();
  }

  state(): DnsServerState {
    const served = this.follower.current;
    return {
      node: this.options.node,
      pid: process.pid,
      startedAt: this.startedAt,
      endpoints: this.listeners.states(),
      serving: served
        ? { term: served.term, version: served.version, mode: served.set.mode, leader: served.set.leader }
        : null,
      lastReadAt: this.follower.lastReadAt === undefined ? null : new Date(this.follower.lastReadAt).toISOString(),
      lastError: this.follower.lastError,
      counters: { ...this.responder.counters },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.stateTimer);
    this.follower.close();
    await this.listeners.close();
    await removeServerState(this.options.plane, this.options.node);
  }

  /** Compiles the set (a set that cannot be encoded throws: the follower keeps the old one) and swaps it in. */
  private serve(served: ServedRecordSet): void {
    const zone = new CompiledZone(served);
    this.responder.load(zone);
    const port = this.options.port ?? served.set.port;
    void this.listeners.want(this.addresses(served.set.vip), port).then(() => this.report());
  }

  private addresses(vip: string | null): string[] {
    if (this.options.listen && this.options.listen.length > 0) return [...new Set(this.options.listen)];
    return [...new Set([this.options.nodeAddress, ...(vip ? [vip] : [])])];
  }

  private async report(): Promise<void> {
    if (this.stopped) return;
    await writeServerState(this.options.plane, this.state());
  }
}

/** Resolves once a majority of members count (connected, identified), or after `timeoutMs`. */
async function membersIdentified(plane: ControlPlane, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (plane.members.filter((member) => member.counts).length < plane.majority && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
