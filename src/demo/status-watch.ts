import { readClusterStatus, type ClusterStatus } from '../cli/cluster-status.js';
import type { ResourceStatus } from '../cli/resource-status.js';
import type { ControlPlane } from '../store/control-plane.js';

/**
 * The situation in one line: leader and term, quorum, each node's state, maintenance, where each resource runs.
 * Only what an operator watches for; the numbers that change on every read (lease time left, heartbeat ages) stay
 * out, so an unchanged line means an unchanged situation.
 */
export function summarizeStatus(status: ClusterStatus): string {
  const leader = status.leader
    ? `leader ${status.leader.node} term ${status.leader.term}`
    : `no leader (highest term ${status.fence})`;
  const { reachable, total, majority } = status.quorum;
  const quorum = `quorum ${reachable}/${total}${reachable >= majority ? '' : ' (no majority)'}`;
  const nodes =
    status.nodes.length > 0
      ? status.nodes.map((node) => `${node.id} ${node.state}`).join(', ')
      : reachable >= majority
        ? 'no node has joined yet'
        : 'nodes unknown without a majority';
  const parts = [leader, quorum, nodes];
  if (status.maintenance) parts.push('MAINTENANCE');
  parts.push(...status.resources.map((resource) => summarizeResource(resource, status.nodes.length)));
  return parts.join(' | ');
}

/**
 * `dummy on stg1` for a leader resource (`dummy not running` when nowhere), `worker on 3/3` for the others (started
 * instances out of the nodes known); then, when they apply, `FAILED on stg2`, the failure counts against the
 * threshold (`failures stg1 1/3`) and `unmanaged`.
 */
export function summarizeResource(resource: ResourceStatus, nodeCount: number): string {
  const on = (state: string) =>
    resource.instances.filter((instance) => instance.state === state).map((instance) => instance.node);
  const started = on('started');
  const failed = on('failed');
  const where =
    resource.placement === 'leader'
      ? started.length > 0
        ? `on ${started.join(', ')}`
        : 'not running'
      : `on ${started.length}/${nodeCount}`;
  const failures = resource.instances
    .filter((instance) => instance.failcount > 0)
    .map((instance) => `${instance.node} ${instance.failcount}/${resource.migrationThreshold}`);
  const notes = [
    ...(failed.length > 0 ? [`FAILED on ${failed.join(', ')}`] : []),
    ...(failures.length > 0 ? [`failures ${failures.join(', ')}`] : []),
    ...(resource.managed ? [] : ['unmanaged']),
  ];
  return `${resource.id} ${where}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

/** `11:02:03.120`, local time: enough to read the gaps of a failover by eye. */
export function clock(date = new Date()): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/**
 * Reads the status from the lock members every `everyMs` (in-process, as clusterctl does) and prints a timestamped
 * line when the summary changes. Reads never overlap; stop() waits for the read in flight.
 */
export class StatusWatch {
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private last = '';
  private stopped = false;

  constructor(
    private readonly plane: ControlPlane,
    private readonly cluster: string,
    private readonly print: (line: string) => void,
    private readonly everyMs = 250,
  ) {}

  /** Starts reading once every lock member's client connected (or failed to, within a second). */
  start(): void {
    void Promise.all(this.plane.members.map((member) => connected(member.client))).then(() => this.schedule(0));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.reading;
  }

  private schedule(inMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.reading = this.readOnce().finally(() => {
        this.reading = undefined;
        this.schedule(this.everyMs);
      });
    }, inMs);
  }

  private async readOnce(): Promise<void> {
    let line: string;
    try {
      line = summarizeStatus(await readClusterStatus(this.plane, this.cluster));
    } catch (error) {
      line = `status unreadable: ${(error as Error).message}`;
    }
    if (line !== this.last && !this.stopped) this.print(`${clock()} ${line}`);
    this.last = line;
  }
}

/** Lock-member clients fail fast while connecting (no offline queue): a first read would show no quorum. */
async function connected(client: ControlPlane['members'][number]['client']): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, 1000);
    client.once('ready', done);
    function done() {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    }
  });
}
