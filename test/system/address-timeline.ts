import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { wallNow, type BedProcess, type HostName, type Isolation, type TestBed } from './bed.js';

/**
 * Who held an address when, from netlink events: one `ip -ts -o monitor address` per node namespace (no polling;
 * an `ip addr` costs about 7 ms of CPU per call here), merged into one timeline to check "never more than one
 * node holds the VIP" as history.
 *
 * Timestamps are those `ip -ts` prints: the wall clock (gettimeofday, microseconds) when `ip` read the netlink
 * message, a fraction of a millisecond after the kernel's change on an idle machine; comparable with the bed's
 * events and the journal's wallMs. Every change is reported: adds, `Deleted` removals (also the kernel's own
 * removal when an address's valid_lft runs out), and updates of an address already there (a lifetime refresh by
 * `ip addr change/replace` is an add event for a held address: a refresh, not a new holder).
 */

export interface AddressEvent {
  host: HostName;
  /** Wall-clock ms (microsecond precision). */
  wallMs: number;
  kind: 'add' | 'delete';
  /** Already present when the recorder started (from one `ip -o addr show`), not a netlink event. */
  initial: boolean;
  family: 'inet' | 'inet6';
  /** As ip prints it (IPv6 in its compressed form). */
  address: string;
  prefixLength: number | undefined;
  device: string;
  /** Words after the address: scope, flags (dynamic, secondary, nodad, tentative, dadfailed...), label. */
  flags: string[];
  /** valid_lft as printed ('1sec', 'forever'), when present. */
  validLft: string | undefined;
  line: string;
}

export interface HolderInterval {
  host: HostName;
  fromMs: number;
  /** Undefined while still held (timelines close it at their `untilMs`). */
  toMs: number | undefined;
  /** Add events for the address while already held (lifetime refreshes). */
  refreshes: number;
  /** Held since before the recorder started (present at start, or deleted without an add being seen). */
  sinceStart: boolean;
}

export interface Overlap {
  hosts: [HostName, HostName];
  fromMs: number;
  toMs: number;
  durationMs: number;
}

// [2026-11-26T12:05:32.695899] Deleted 1: lo    inet 198.51.100.10/24 scope global dynamic lo\       valid_lft 0sec ...
const MONITOR_LINE = /^\[(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?\]\s+(Deleted\s+)?(.*)$/;
// 2: eth0    inet 198.51.100.11/24 brd 198.51.100.255 scope global eth0\       valid_lft forever preferred_lft forever
const ADDRESS_BODY = /^\d+:\s+(\S+)\s+(inet6?)\s+(\S+)(?:\s+peer\s+(\S+))?(.*)$/;

type Body = Pick<AddressEvent, 'family' | 'address' | 'prefixLength' | 'device' | 'flags' | 'validLft'>;

export function parseAddressBody(body: string): Body | undefined {
  const match = ADDRESS_BODY.exec(body.trim());
  if (!match) return undefined;
  const [, device = '', family, local = '', peer, rest = ''] = match;
  const [address = '', prefix] = local.split('/');
  const length = prefix ?? peer?.split('/')[1];
  const [flagPart = '', lifetimes = ''] = rest.split('\\');
  return {
    family: family === 'inet6' ? 'inet6' : 'inet',
    address,
    prefixLength: length === undefined ? undefined : Number(length),
    device: device.split('@')[0] ?? device,
    flags: flagPart.trim().split(/\s+/).filter(Boolean),
    validLft: /valid_lft\s+(\S+)/.exec(lifetimes)?.[1],
  };
}

/** Parses one line of `ip -ts -o monitor address` printed with TZ=UTC. */
export function parseMonitorLine(host: HostName, line: string): AddressEvent | undefined {
  const match = MONITOR_LINE.exec(line);
  if (!match) return undefined;
  const [, date, time, fraction = '', deleted, body = ''] = match;
  const parsed = parseAddressBody(body);
  if (!parsed) return undefined;
  const wallMs = Date.parse(`${date}T${time}Z`) + (fraction ? Number(`0.${fraction}`) * 1000 : 0);
  return { host, wallMs, kind: deleted ? 'delete' : 'add', initial: false, ...parsed, line };
}

/** Whether a process has a NETLINK_ROUTE socket subscribed to multicast groups (the monitor is listening). */
function netlinkSubscribed(pid: number): boolean {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (socket?.[1]) inodes.add(socket[1]);
    } catch {
      // closed meanwhile
    }
  }
  // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
  for (const line of readFileSync(`/proc/${pid}/net/netlink`, 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === '0' && fields[3] && !/^0+$/.test(fields[3]) && inodes.has(fields[9] ?? '')) return true;
  }
  return false;
}

export class AddressRecorder {
  readonly events: AddressEvent[] = [];
  /** Lines the parser did not understand (kept for a post-mortem). */
  readonly unparsed: string[] = [];
  private listeners = new Set<(event: AddressEvent) => void>();
  private stopping = false;
  private stderr = '';
  private readonly drained: Promise<void>;

  private static readonly running = new WeakMap<TestBed, Map<HostName, AddressRecorder>>();

  private constructor(
    readonly bed: TestBed,
    readonly host: HostName,
    readonly monitor: BedProcess,
    /** When the monitor was spawned: nothing earlier is known from events. */
    readonly startedMs: number,
  ) {
    const lines = createInterface({ input: monitor.child.stdout! });
    lines.on('line', (line) => this.take(line));
    this.drained = new Promise((resolve) => lines.once('close', () => resolve()));
    monitor.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /**
   * Starts the one monitor of a host's namespace and resolves once it is subscribed (seen in /proc, no test
   * traffic), with the addresses already present recorded as `initial` events.
   */
  static async start(bed: TestBed, host: HostName, { timeoutMs = 5_000 } = {}): Promise<AddressRecorder> {
    let perBed = AddressRecorder.running.get(bed);
    if (!perBed) AddressRecorder.running.set(bed, (perBed = new Map()));
    if (perBed.get(host)?.running)
      throw new Error(`an address recorder already runs for ${host}: one monitor per namespace, share it`);
    const startedMs = wallNow();
    const monitor = bed.spawn(host, 'ip', ['-ts', '-o', 'monitor', 'address'], {
      name: 'address-monitor',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TZ: 'UTC' }, // -ts prints local time: make it UTC
      freezable: false,
    });
    const recorder = new AddressRecorder(bed, host, monitor, startedMs);
    perBed.set(host, recorder);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!monitor.running) throw new Error(`ip monitor address on ${host} exited: ${recorder.stderr.trim()}`);
      let subscribed = false;
      try {
        subscribed = netlinkSubscribed(monitor.pid);
      } catch {
        // not exec'd yet
      }
      if (subscribed) break;
      if (Date.now() > deadline) {
        await monitor.stop('SIGKILL');
        throw new Error(`ip monitor address on ${host} not listening within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const shown = await bed.run(host, 'ip', ['-o', 'addr', 'show']);
    if (shown.code !== 0) throw new Error(`ip addr show on ${host} failed: ${shown.stderr.trim()}`);
    // An address the monitor already reported (changed since it listened) is known better from its events.
    const reported = new Set(recorder.events.map((event) => `${event.address} ${event.device}`));
    const initial: AddressEvent[] = [];
    for (const line of shown.stdout.split('\n')) {
      const body = parseAddressBody(line);
      if (body && !reported.has(`${body.address} ${body.device}`))
        initial.push({ host, wallMs: startedMs, kind: 'add', initial: true, ...body, line });
    }
    recorder.events.unshift(...initial);
    return recorder;
  }

  get running(): boolean {
    return this.monitor.running && !this.stopping;
  }

  /** Throws if the monitor ended before `stop()`: the history would be incomplete. */
  assertComplete(): void {
    if (!this.stopping && !this.monitor.running)
      throw new Error(
        `the address monitor of ${this.host} ended before stop() (history incomplete): ${this.stderr.trim()}`,
      );
  }

  eventsFor(address: string): AddressEvent[] {
    return this.events.filter((event) => event.address === address);
  }

  /** Whether the host holds the address now, by the events seen so far. */
  holds(address: string): boolean {
    const last = this.intervals(address).at(-1);
    return last !== undefined && last.toMs === undefined;
  }

  /** The host's holder intervals of one address (on any of its interfaces). */
  intervals(address: string): HolderInterval[] {
    const intervals: HolderInterval[] = [];
    const devices = new Set<string>();
    let open: HolderInterval | undefined;
    let seen = false;
    for (const event of this.eventsFor(address)) {
      if (event.kind === 'add') {
        if (!open) {
          open = { host: this.host, fromMs: event.wallMs, toMs: undefined, refreshes: 0, sinceStart: event.initial };
          intervals.push(open);
        } else if (devices.has(event.device)) {
          open.refreshes++;
        }
        devices.add(event.device);
      } else if (devices.delete(event.device) || !seen) {
        // A delete with nothing seen before: it was there before the monitor listened.
        if (!open)
          intervals.push(
            (open = { host: this.host, fromMs: this.startedMs, toMs: undefined, refreshes: 0, sinceStart: true }),
          );
        if (devices.size === 0) {
          open.toMs = event.wallMs;
          open = undefined;
        }
      }
      seen = true;
    }
    return intervals;
  }

  /** Resolves with the first event of that kind for the address at or after `afterMs` (default: any). */
  waitFor(
    address: string,
    kind: 'add' | 'delete',
    { afterMs = -Infinity, timeoutMs = 5_000 }: { afterMs?: number; timeoutMs?: number } = {},
  ): Promise<AddressEvent> {
    const matches = (event: AddressEvent) =>
      event.address === address && event.kind === kind && event.wallMs >= afterMs;
    const found = this.events.find(matches);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const listener = (event: AddressEvent) => {
        if (!matches(event)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(event);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(
          new Error(
            `no ${kind} of ${address} on ${this.host} within ${timeoutMs} ms; seen: ${
              this.eventsFor(address)
                .map((event) => `${event.kind}@${event.wallMs.toFixed(1)}`)
                .join(' ') || 'nothing'
            }`,
          ),
        );
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  /** Ends the monitor and waits until its last line is parsed. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.monitor.stop('SIGTERM');
    await this.drained;
  }

  private take(line: string): void {
    const event = parseMonitorLine(this.host, line);
    if (!event) {
      if (line.trim()) this.unparsed.push(line);
      return;
    }
    this.events.push(event);
    for (const listener of [...this.listeners]) listener(event);
  }
}

/** Holder intervals of one address on every recorded host, and where they overlap. */
export class Timeline {
  /** Each host's intervals, still-open ones closed at `untilMs`. */
  readonly byHost = new Map<HostName, HolderInterval[]>();

  constructor(
    readonly address: string,
    readonly untilMs: number,
    intervals: HolderInterval[],
    /** Link cuts: a cut host does not count as a holder from the cut to the start of the repair. */
    readonly isolations: Isolation[] = [],
  ) {
    for (const interval of intervals) {
      const list = this.byHost.get(interval.host) ?? [];
      list.push({ ...interval, toMs: interval.toMs ?? untilMs });
      this.byHost.set(interval.host, list);
    }
  }

  /** Every interval, by start. */
  get intervals(): HolderInterval[] {
    return [...this.byHost.values()].flat().sort((a, b) => a.fromMs - b.fromMs);
  }

  /** The intervals that count: each host's holding minus its isolations. */
  counted(host: HostName): Array<{ fromMs: number; toMs: number }> {
    let pieces = (this.byHost.get(host) ?? []).map((interval) => ({
      fromMs: interval.fromMs,
      toMs: interval.toMs ?? this.untilMs,
    }));
    for (const isolation of this.isolations.filter((entry) => entry.host === host)) {
      const cutFrom = isolation.fromMs;
      const cutTo = isolation.toMs ?? Infinity;
      pieces = pieces.flatMap((piece) => {
        if (cutTo <= piece.fromMs || cutFrom >= piece.toMs) return [piece];
        const kept: Array<{ fromMs: number; toMs: number }> = [];
        if (cutFrom > piece.fromMs) kept.push({ fromMs: piece.fromMs, toMs: cutFrom });
        if (cutTo < piece.toMs) kept.push({ fromMs: cutTo, toMs: piece.toMs });
        return kept;
      });
    }
    return pieces;
  }

  /** Periods where two hosts held the address at once (each pair reported), by start. */
  overlaps(): Overlap[] {
    const hosts = [...this.byHost.keys()];
    const result: Overlap[] = [];
    for (let i = 0; i < hosts.length; i++)
      for (let j = i + 1; j < hosts.length; j++) {
        const a = hosts[i]!;
        const b = hosts[j]!;
        for (const x of this.counted(a))
          for (const y of this.counted(b)) {
            const fromMs = Math.max(x.fromMs, y.fromMs);
            const toMs = Math.min(x.toMs, y.toMs);
            if (toMs > fromMs) result.push({ hosts: [a, b], fromMs, toMs, durationMs: toMs - fromMs });
          }
      }
    return result.sort((a, b) => a.fromMs - b.fromMs);
  }

  /** The longest overlap in ms (0 when none). */
  maxOverlapMs(): number {
    return Math.max(0, ...this.overlaps().map((overlap) => overlap.durationMs));
  }

  /** Hosts holding (and counting) at a moment. */
  holdersAt(ms: number): HostName[] {
    return [...this.byHost.keys()].filter((host) =>
      this.counted(host).some((piece) => piece.fromMs <= ms && ms < piece.toMs),
    );
  }

  /** A readable account for assertion messages. */
  describe(): string {
    return this.intervals
      .map(
        (interval) =>
          `${interval.host} ${interval.fromMs.toFixed(1)}..${interval.toMs?.toFixed(1)}` +
          (interval.refreshes ? ` (${interval.refreshes} refreshes)` : ''),
      )
      .join('; ');
  }
}

/**
 * Merges the recorders' histories of one address. `isolations` (from `bed.isolations()`) makes a cut node count
 * again only from the moment its link is back. Throws if a monitor died early (the history would have holes).
 */
export function mergeTimelines(
  recorders: readonly AddressRecorder[],
  address: string,
  { untilMs = wallNow(), isolations = [] }: { untilMs?: number; isolations?: Isolation[] } = {},
): Timeline {
  for (const recorder of recorders) recorder.assertComplete();
  return new Timeline(
    address,
    untilMs,
    recorders.flatMap((recorder) => recorder.intervals(address)),
    isolations,
  );
}
