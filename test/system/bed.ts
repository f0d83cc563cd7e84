import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LOCK_MEMBER_SETTINGS, redisServerArgs } from '../../src/local/redis-server.js';

/**
 * A multi-host test bed made of network namespaces (issue 4, item 1): hosts `stg1..stgN`, `arbiter` and `client`,
 * each with an `eth0` veth whose peer is a port of the bridge `br0`, which lives in a namespace of its own. Nothing
 * is ever added to the root namespace: the test process itself cannot reach 198.51.100.0/24, so every client of
 * the bed runs inside a namespace (`run`, `spawn`) or talks through a unix socket (`startRedis` gives one).
 *
 * Every process started through the bed is tracked by PID; `destroy()` SIGKILLs them and every other process
 * still inside the bed's namespaces, then deletes the namespaces. The same runs synchronously as a last resort on
 * process 'exit' and on SIGTERM/SIGINT/SIGHUP (ava's timeout ends a worker with SIGTERM), and a later
 * `TestBed.create` sweeps beds whose owner was SIGKILLed.
 */

export type NodeName = 'stg1' | 'stg2' | 'stg3';
export type HostName = NodeName | 'arbiter' | 'client';

export const BED_SUBNET = '198.51.100.0/24';
export const BED_PREFIX_LENGTH = 24;
/** The cluster's floating address: the bed never configures it. */
export const BED_VIP = '198.51.100.10';
/** The IPv6 VIP (documentation range 2001:db8::/32); every host also has 2001:db8::<last octet of its IPv4>/64. */
export const BED_VIP6 = '2001:db8::10';
export const BED_PREFIX_LENGTH6 = 64;
export const BED_INTERFACE = 'eth0';
export const BED_BRIDGE = 'br0';

const ADDRESSES: Record<HostName, string> = {
  stg1: '198.51.100.11',
  stg2: '198.51.100.12',
  stg3: '198.51.100.13',
  arbiter: '198.51.100.5',
  client: '198.51.100.100',
};

/**
 * Kernel settings per namespace, each for a reason (written with one `sysctl -w` per namespace):
 * - every host: `ip_forward=0` (a new namespace inherits IPv4 settings from the root namespace, which forwards on
 *   Docker hosts: a node that forwarded packets for a VIP it no longer holds would hide a missing ARP update), and
 *   `arp_accept=1` so a gratuitous ARP creates a neighbour entry even where none existed yet (a GARP already
 *   updates an existing entry without it, locktime notwithstanding);
 * - nodes also: `ip_nonlocal_bind=1` (services bind the VIP before it is there) and `arp_notify=1` (a GARP for
 *   every address of eth0 when it comes up; note it does NOT fire on an address add nor on carrier changes, so the
 *   VIP agent sends its own GARPs);
 * - the bridge namespace: IPv6 off (its ports send no ND/MLD of their own onto the segment) and no forwarding.
 */
const HOST_SYSCTLS = ['net.ipv4.ip_forward=0', 'net.ipv4.conf.all.arp_accept=1', 'net.ipv4.conf.default.arp_accept=1'];
const NODE_SYSCTLS = [
  ...HOST_SYSCTLS,
  'net.ipv4.ip_nonlocal_bind=1',
  'net.ipv4.conf.all.arp_notify=1',
  'net.ipv4.conf.default.arp_notify=1',
];
const BRIDGE_SYSCTLS = [
  'net.ipv4.ip_forward=0',
  'net.ipv6.conf.all.disable_ipv6=1',
  'net.ipv6.conf.default.disable_ipv6=1',
];

/** Run ids: `sb` + 4 hex digits; namespaces are `<id>-stg1`, `<id>-br`...; temp folders `stg-bed-<id>-XXXXXX`. */
const RUN_ID = /^sb[0-9a-f]{4}$/;
const BED_DIR = /^stg-bed-(sb[0-9a-f]{4})-/;
const NETNS_DIR = '/run/netns';

export interface TestBedOptions {
  nodes: 2 | 3;
  /** Default true. */
  arbiter?: boolean;
  /** Default true. */
  client?: boolean;
}

export interface SpawnOptions {
  /** Short label used in the log file name (default: the command's name). */
  name?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * 'log' (default): stdout and stderr appended to `<bed dir>/<host>.<name>.<n>.log`; 'pipe' gives the streams to
   * the caller, who must consume them; 'ignore'; or any node stdio value.
   */
  stdio?: 'log' | StdioOptions;
  /** Own process group (setsid), so `signal(process, sig, { group: true })` reaches its children. Default true. */
  group?: boolean;
  /** `freeze(host)` stops it. Default true; false for observers such as the address monitors. */
  freezable?: boolean;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface BedEvent {
  host: HostName;
  kind: 'link-down' | 'link-up' | 'freeze' | 'thaw' | 'signal';
  /** Wall-clock ms (performance.timeOrigin + performance.now(), as the journal's wallMs) when the action began… */
  startedMs: number;
  /** …and when it was done (for a link: when `ip` returned). */
  doneMs: number;
  detail?: string;
}

/** A period during which a host's link was cut: from the cut being done to the start of the repair. */
export interface Isolation {
  host: HostName;
  fromMs: number;
  /** Undefined while still cut. */
  toMs: number | undefined;
}

export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A child process started inside a namespace of the bed (`ip netns exec` execs in place: same PID). */
export class BedProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly host: HostName,
    readonly name: string,
    readonly child: ChildProcess,
    readonly group: boolean,
    readonly freezable: boolean,
    readonly log: string | undefined,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} on ${this.host} has no PID (spawn failed)`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal to the process (or its whole process group); does nothing once it has exited. */
  signal(signal: NodeJS.Signals, { group = false }: { group?: boolean } = {}): void {
    if (group) {
      if (!this.group) throw new Error(`${this.name} on ${this.host} was spawned without its own process group`);
      // The group outlives its leader while a member lives, and its id is not reused meanwhile.
      killQuietly(-this.pid, signal);
      return;
    }
    if (this.running) this.child.kill(signal);
  }

  /** Signals it (SIGCONT first, so a stopped process can act on SIGTERM) and waits for its exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    if (this.running) {
      this.child.kill(signal);
      if (signal !== 'SIGKILL') this.child.kill('SIGCONT');
    }
    return this.exited;
  }
}

/** A lock-member redis-server bound to its host's address inside the host's namespace. */
export class BedRedis {
  private current: BedProcess | undefined;

  constructor(
    private readonly bed: TestBed,
    readonly host: HostName,
    readonly address: string,
    readonly port: number,
    readonly dir: string,
  ) {}

  /** A unix socket in the bed's folder: the test process (root namespace) reaches the server through it. */
  get socket(): string {
    return join(this.dir, 'redis.sock');
  }

  get process(): BedProcess | undefined {
    return this.current;
  }

  get pid(): number {
    if (!this.current) throw new Error(`redis-server on ${this.host} was never started`);
    return this.current.pid;
  }

  get running(): boolean {
    return this.current?.running ?? false;
  }

  /** Starts it again on the same address, port and data folder (its append-only file kept). */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`redis-server on ${this.host}:${this.port} is already running`);
    mkdirSync(this.dir, { recursive: true });
    const child = this.bed.spawn(
      this.host,
      'redis-server',
      redisServerArgs({
        port: this.port,
        bind: this.address,
        dir: this.dir,
        settings: [
          '--unixsocket',
          this.socket,
          '--unixsocketperm',
          '700',
          // Lock members are reached from other hosts: without a password, protected mode refuses them.
          '--protected-mode',
          'no',
          ...LOCK_MEMBER_SETTINGS,
        ],
      }),
      { name: `redis-${this.port}`, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.current = child;
    // Its log goes on stdout; keep reading it (a full pipe would block the server) into a log file.
    const log = createWriteStream(join(this.dir, 'redis.log'), { flags: 'a' });
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        log.write(chunk);
        if (output.length < 20_000) output += chunk.toString();
        if (/Ready to accept connections/.test(output)) resolve();
      };
      child.child.stdout?.on('data', onData);
      child.child.stderr?.on('data', onData);
      child.child.once('error', reject);
      void child.exited.then(({ code, signal }) => {
        log.end();
        reject(
          new Error(
            `redis-server on ${this.host} (${this.address}:${this.port}) exited with ${code ?? signal}: ${output.trim().slice(-2000)}`,
          ),
        );
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`redis-server on ${this.host} not ready within 10 s: ${output.trim().slice(-2000)}`)),
        10_000,
      );
    });
    try {
      await Promise.race([ready, timeout]);
    } catch (error) {
      await child.stop('SIGKILL');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.current) await this.current.stop(signal);
  }

  pause(): void {
    this.current?.signal('SIGSTOP');
  }

  resume(): void {
    this.current?.signal('SIGCONT');
  }
}

interface BedRecord {
  id: string;
  ownerPid: number;
  ownerStart: string;
  namespaces: string[];
}

export class TestBed {
  /** Beds not destroyed yet, for the synchronous last resort. */
  private static readonly open = new Set<TestBed>();
  private static signalHandlers: Array<[NodeJS.Signals, () => void]> = [];

  static {
    process.once('exit', () => {
      for (const bed of TestBed.open) bed.destroySync();
    });
  }

  readonly hosts: HostName[];
  readonly nodes: NodeName[];
  readonly bridgeNs: string;
  readonly vip = BED_VIP;
  readonly prefixLength = BED_PREFIX_LENGTH;
  readonly interface = BED_INTERFACE;
  /** Faults injected through the bed, in order, with wall-clock times comparable with `ip -ts` and the journal. */
  readonly events: BedEvent[] = [];
  /** Milliseconds `create` took (namespaces, links, addresses, sysctls). */
  createdInMs = 0;

  private readonly processes = new Set<BedProcess>();
  /** nsfs inode of every namespace, to find the processes inside it (also after its name is gone). */
  private readonly inodes = new Map<string, number>();
  private readonly frozen = new Map<HostName, number[]>();
  private readonly linkCut = new Set<HostName>();
  private readonly redis = new Map<string, BedRedis>();
  private spawnCount = 0;
  private destroying: Promise<void> | undefined;
  private destroyed = false;

  private constructor(
    readonly id: string,
    readonly dir: string,
    hosts: HostName[],
  ) {
    this.hosts = hosts;
    this.nodes = hosts.filter((host): host is NodeName => host.startsWith('stg'));
    this.bridgeNs = `${id}-br`;
  }

  /** Every namespace of the bed, bridge first. */
  get namespaces(): string[] {
    return [this.bridgeNs, ...this.hosts.map((host) => this.ns(host))];
  }

  static async create(options: TestBedOptions): Promise<TestBed> {
    const started = performance.now();
    if (options.nodes !== 2 && options.nodes !== 3) throw new Error(`a bed has 2 or 3 nodes, not ${options.nodes}`);
    TestBed.sweepStale();
    const hosts: HostName[] = (['stg1', 'stg2', 'stg3'] as const).slice(0, options.nodes);
    if (options.arbiter ?? true) hosts.push('arbiter');
    if (options.client ?? true) hosts.push('client');

    const id = freshRunId();
    const bed = new TestBed(id, mkdtempSync(join(tmpdir(), `stg-bed-${id}-`)), hosts);
    TestBed.open.add(bed);
    TestBed.installSignalHandlers();
    try {
      await bed.build();
    } catch (error) {
      await bed.destroy().catch(() => undefined);
      throw error;
    }
    bed.createdInMs = performance.now() - started;
    return bed;
  }

  private async build(): Promise<void> {
    // 1. The namespaces, in one batch. A failing line stops the batch: only the lines before it were ours.
    //    The record is written first, so a bed whose owner is SIGKILLed at any point can be swept.
    const names = this.namespaces;
    this.writeRecord(names);
    const added = await ipBatch(names.map((name) => `netns add ${name}`));
    const created = added.ok ? names : names.slice(0, Math.max(0, (added.failedLine ?? 1) - 1));
    for (const name of created) this.inodes.set(name, statSync(join(NETNS_DIR, name)).ino);
    if (!added.ok) this.writeRecord(created);
    if (!added.ok) throw new Error(`ip netns add failed: ${added.stderr.trim()}`);

    // 2. Sysctls of every namespace, and the bridge with one veth pair per host (the host end moved into the
    //    host's namespace as eth0). The bridge's sysctls come first so its ports are made with IPv6 off.
    const bridge = (async () => {
      await this.sysctl(this.bridgeNs, BRIDGE_SYSCTLS);
      const lines = [`link add ${BED_BRIDGE} type bridge stp_state 0`, `link set ${BED_BRIDGE} up`];
      for (const host of this.hosts) {
        const port = bridgePort(host);
        lines.push(`link add ${port} type veth peer name ${BED_INTERFACE} netns ${this.ns(host)}`);
        lines.push(`link set ${port} master ${BED_BRIDGE}`, `link set ${port} up`);
      }
      await ipBatchOrThrow(lines, this.bridgeNs);
    })();
    const sysctls = this.hosts.map((host) =>
      this.sysctl(this.ns(host), host.startsWith('stg') ? NODE_SYSCTLS : HOST_SYSCTLS),
    );
    await Promise.all([bridge, ...sysctls]);

    // 3. Each host: lo and eth0 up, its address.
    await Promise.all(
      this.hosts.map((host) =>
        ipBatchOrThrow(
          [
            'link set lo up',
            `link set ${BED_INTERFACE} up`,
            `addr add ${this.address(host)}/${BED_PREFIX_LENGTH} dev ${BED_INTERFACE}`,
            // nodad: usable at once (a bed must not wait a second of duplicate address detection per host).
            `addr add ${this.address6(host)}/${BED_PREFIX_LENGTH6} dev ${BED_INTERFACE} nodad`,
          ],
          this.ns(host),
        ),
      ),
    );
  }

  private async sysctl(ns: string, settings: string[]): Promise<void> {
    const result = await runCommand('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', ...settings]);
    if (result.code !== 0) throw new Error(`sysctl in ${ns} failed: ${result.stderr.trim()}`);
  }

  has(host: string): host is HostName {
    return (this.hosts as string[]).includes(host);
  }

  /** The real namespace name of a host, e.g. `sb3f2a-stg1`. */
  ns(host: HostName): string {
    if (!this.has(host)) throw new Error(`this bed has no host ${host} (hosts: ${this.hosts.join(', ')})`);
    return `${this.id}-${host}`;
  }

  address(host: HostName): string {
    if (!this.has(host)) throw new Error(`this bed has no host ${host} (hosts: ${this.hosts.join(', ')})`);
    return ADDRESSES[host];
  }

  /** The host's IPv6 address: 2001:db8:: and the last number of its IPv4 address (stg1 2001:db8::11). */
  address6(host: HostName): string {
    return `2001:db8::${this.address(host).split('.')[3]}`;
  }

  /** The bridge port (in the bridge namespace) of a host's link. */
  bridgePort(host: HostName): string {
    this.ns(host);
    return bridgePort(host);
  }

  /** Starts a tracked process inside the host's namespace. */
  spawn(host: HostName, command: string, args: readonly string[] = [], options: SpawnOptions = {}): BedProcess {
    this.assertUsable();
    const ns = this.ns(host);
    const name = options.name ?? command.split('/').pop() ?? command;
    const group = options.group ?? true;
    let log: string | undefined;
    let stdio: StdioOptions;
    let fd: number | undefined;
    if (options.stdio === undefined || options.stdio === 'log') {
      log = join(this.dir, `${host}.${name.replace(/[^\w.-]/g, '_')}.${++this.spawnCount}.log`);
      fd = openSync(log, 'a');
      stdio = ['ignore', fd, fd];
    } else {
      stdio = options.stdio;
    }
    try {
      const child = spawn('ip', ['netns', 'exec', ns, command, ...args], {
        stdio,
        env: options.env ?? process.env,
        cwd: options.cwd,
        detached: group,
      });
      child.on('error', () => undefined); // spawn errors surface through `exited` (exit code -2 / null)
      const tracked = new BedProcess(host, name, child, group, options.freezable ?? true, log);
      this.processes.add(tracked);
      return tracked;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Runs a command inside the host's namespace and collects its output (SIGKILLed after `timeoutMs`). */
  async run(
    host: HostName,
    command: string,
    args: readonly string[] = [],
    { timeoutMs = 10_000, input }: { timeoutMs?: number; input?: string } = {},
  ): Promise<RunResult> {
    const proc = this.spawn(host, command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const result = await collect(proc.child, input, timeoutMs, () => proc.signal('SIGKILL', { group: true }));
    this.processes.delete(proc);
    return result;
  }

  /** One ICMP echo (`ping -c1 -W1`) from a host to another host or an address: true when answered. */
  async ping(from: HostName, to: HostName | string): Promise<boolean> {
    const target = this.has(to) ? this.address(to) : to;
    const result = await this.run(from, 'ping', ['-n', '-q', '-c1', '-W1', target]);
    return result.code === 0;
  }

  /**
   * A lock-member redis-server (LOCK_MEMBER_SETTINGS: appendonly, fsync always, noeviction) bound to the host's
   * address, port 6379 unless told, its data in the bed's folder; resolves once it accepts connections.
   */
  async startRedis(host: HostName, { port = 6379 }: { port?: number } = {}): Promise<BedRedis> {
    const key = `${host}:${port}`;
    if (this.redis.has(key)) throw new Error(`a redis-server was already started on ${key}`);
    const server = new BedRedis(this, host, this.address(host), port, join(this.dir, `redis-${host}-${port}`));
    this.redis.set(key, server);
    await server.restart();
    return server;
  }

  /**
   * Cuts the host's link at the bridge: its port leaves br0 (and nothing else in the bridge namespace routes), so
   * frames are dropped in both directions. The host's eth0 keeps its carrier and state: the host is not told, as
   * when a switch or an upstream link fails (a `link set down` of the port would show the host NO-CARRIER).
   */
  async linkDown(host: HostName): Promise<void> {
    if (this.linkCut.has(host)) return;
    const startedMs = wallNow();
    await ipBatchOrThrow([`link set ${this.bridgePort(host)} nomaster`], this.bridgeNs);
    this.linkCut.add(host);
    this.events.push({ host, kind: 'link-down', startedMs, doneMs: wallNow() });
  }

  /** Puts the port back on br0 (STP is off: it forwards at once). */
  async linkUp(host: HostName): Promise<void> {
    if (!this.linkCut.has(host)) return;
    const startedMs = wallNow();
    await ipBatchOrThrow([`link set ${this.bridgePort(host)} master ${BED_BRIDGE}`], this.bridgeNs);
    this.linkCut.delete(host);
    this.events.push({ host, kind: 'link-up', startedMs, doneMs: wallNow() });
  }

  isLinkUp(host: HostName): boolean {
    this.ns(host);
    return !this.linkCut.has(host);
  }

  /** When each host's link was cut (by linkDown or freeze), for "a cut node counts again once its link is back". */
  isolations(host?: HostName): Isolation[] {
    const result: Isolation[] = [];
    const open = new Map<HostName, Isolation>();
    for (const event of this.events) {
      if (host && event.host !== host) continue;
      if (event.kind === 'link-down' && !open.has(event.host)) {
        const isolation: Isolation = { host: event.host, fromMs: event.doneMs, toMs: undefined };
        open.set(event.host, isolation);
        result.push(isolation);
      } else if (event.kind === 'link-up') {
        const isolation = open.get(event.host);
        if (isolation) isolation.toMs = event.startedMs;
        open.delete(event.host);
      }
    }
    return result;
  }

  /** Sends a signal to a PID or a bed process (its process group with `group: true`), and records it. */
  signal(target: number | BedProcess, signal: NodeJS.Signals, { group = false }: { group?: boolean } = {}): void {
    const startedMs = wallNow();
    if (typeof target === 'number') {
      process.kill(group ? -target : target, signal);
    } else {
      target.signal(signal, { group });
    }
    const pid = typeof target === 'number' ? target : target.pid;
    const host = typeof target === 'number' ? this.hostOf(pid) : target.host;
    if (host)
      this.events.push({
        host,
        kind: 'signal',
        startedMs,
        doneMs: wallNow(),
        detail: `${signal} ${group ? -pid : pid}`,
      });
  }

  /**
   * The whole host down: SIGSTOP to every process inside its namespace (the tracked ones and whatever they
   * started, e.g. resources in their own groups; not the bed's observers, nor processes already stopped), then
   * its link cut.
   */
  async freeze(host: HostName): Promise<void> {
    if (this.frozen.has(host)) throw new Error(`${host} is already frozen`);
    const startedMs = wallNow();
    const observers = new Set([...this.processes].filter((p) => !p.freezable && p.running).map((p) => p.pid));
    const stopped: number[] = [];
    // A process may fork while we stop the others: look again until a pass finds nothing new.
    for (let pass = 0; pass < 5; pass++) {
      const fresh = this.pidsIn(this.ns(host)).filter(
        (pid) => !observers.has(pid) && !stopped.includes(pid) && processState(pid) !== 'T',
      );
      if (fresh.length === 0) break;
      for (const pid of fresh) if (killQuietly(pid, 'SIGSTOP')) stopped.push(pid);
    }
    this.frozen.set(host, stopped);
    await this.linkDown(host);
    this.events.push({ host, kind: 'freeze', startedMs, doneMs: wallNow(), detail: `stopped ${stopped.join(' ')}` });
  }

  /** The host back: link first, then SIGCONT to exactly the processes freeze stopped. */
  async thaw(host: HostName): Promise<void> {
    const stopped = this.frozen.get(host);
    if (!stopped) throw new Error(`${host} is not frozen`);
    const startedMs = wallNow();
    await this.linkUp(host);
    const inside = new Set(this.pidsIn(this.ns(host)));
    for (const pid of stopped) if (inside.has(pid)) killQuietly(pid, 'SIGCONT');
    this.frozen.delete(host);
    this.events.push({ host, kind: 'thaw', startedMs, doneMs: wallNow() });
  }

  /** PIDs of the live processes inside a namespace of this bed (zombies excluded). */
  pidsIn(ns: string): number[] {
    const inode = this.inodes.get(ns);
    return inode === undefined ? [] : pidsInNamespaces(new Set([inode]));
  }

  /** Every tracked process, running or not. */
  trackedProcesses(): BedProcess[] {
    return [...this.processes];
  }

  private hostOf(pid: number): HostName | undefined {
    for (const p of this.processes) if (p.child.pid === pid) return p.host;
    return this.hosts.find((host) => this.pidsIn(this.ns(host)).includes(pid));
  }

  private assertUsable(): void {
    if (this.destroying || this.destroyed) throw new Error(`bed ${this.id} is destroyed`);
  }

  /**
   * SIGKILL to every tracked process (and group) and every process inside the bed's namespaces, waits for them
   * to be gone, deletes every namespace and the bed's folder (kept with STG_KEEP_TEST_DIRS=1). Idempotent.
   */
  destroy(): Promise<void> {
    this.destroying ??= this.destroyNow();
    return this.destroying;
  }

  private async destroyNow(): Promise<void> {
    TestBed.open.delete(this);
    TestBed.uninstallSignalHandlersIfIdle();
    const problems: string[] = [];
    this.killEverything();
    const tracked = [...this.processes].filter((p) => p.child.pid !== undefined);
    const deadline = Date.now() + 5_000;
    await Promise.race([
      Promise.all(tracked.map((p) => p.exited)),
      new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
    ]);
    for (;;) {
      const left = pidsInNamespaces(new Set(this.inodes.values()));
      if (left.length === 0) break;
      if (Date.now() > deadline) {
        problems.push(`processes still inside the namespaces after SIGKILL: ${left.join(' ')}`);
        break;
      }
      for (const pid of left) killQuietly(pid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const existing = [...this.inodes.keys()].filter((ns) => existsSync(join(NETNS_DIR, ns)));
    if (existing.length > 0) {
      const deleted = await ipBatch(
        existing.map((ns) => `netns del ${ns}`),
        undefined,
        true,
      );
      if (!deleted.ok) problems.push(`ip netns del: ${deleted.stderr.trim()}`);
    }
    this.removeFolder();
    this.destroyed = true;
    const remaining = [...this.inodes.keys()].filter((ns) => existsSync(join(NETNS_DIR, ns)));
    if (remaining.length > 0) problems.push(`namespaces left: ${remaining.join(' ')}`);
    if (problems.length > 0) throw new Error(`destroying bed ${this.id}: ${problems.join('; ')}`);
  }

  /** The last resort (process 'exit' or a fatal signal): the same, synchronously. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    TestBed.open.delete(this);
    this.killEverything();
    const deadline = Date.now() + 2_000;
    const inodes = new Set(this.inodes.values());
    while (pidsInNamespaces(inodes).length > 0 && Date.now() < deadline) {
      for (const pid of pidsInNamespaces(inodes)) killQuietly(pid, 'SIGKILL');
      sleepSync(10);
    }
    deleteNamespacesSync([...this.inodes.keys()]);
    this.removeFolder();
  }

  private killEverything(): void {
    for (const p of this.processes) {
      if (p.child.pid === undefined) continue;
      if (p.group) killQuietly(-p.child.pid, 'SIGKILL');
      if (p.running) killQuietly(p.child.pid, 'SIGKILL');
    }
    for (const pid of pidsInNamespaces(new Set(this.inodes.values()))) killQuietly(pid, 'SIGKILL');
  }

  private removeFolder(): void {
    // STG_KEEP_TEST_DIRS=1 keeps the logs for a post-mortem; the record goes, so no sweep takes it for a live bed.
    if (process.env['STG_KEEP_TEST_DIRS']) rmSync(join(this.dir, 'bed.json'), { force: true });
    else rmSync(this.dir, { recursive: true, force: true });
  }

  private writeRecord(namespaces: string[]): void {
    const record: BedRecord = {
      id: this.id,
      ownerPid: process.pid,
      ownerStart: processStartTime(process.pid) ?? '',
      namespaces,
    };
    writeFileSync(join(this.dir, 'bed.json'), JSON.stringify(record));
  }

  /**
   * Beds whose owner process is gone (SIGKILLed before any handler could run): kills what is left inside their
   * namespaces, deletes the namespaces and their record. Returns their run ids. Called by `create`.
   */
  static sweepStale(): string[] {
    const swept: string[] = [];
    let entries: string[];
    try {
      entries = readdirSync(tmpdir());
    } catch {
      return swept;
    }
    for (const entry of entries) {
      const match = BED_DIR.exec(entry);
      if (!match) continue;
      const dir = join(tmpdir(), entry);
      let record: BedRecord;
      try {
        record = JSON.parse(readFileSync(join(dir, 'bed.json'), 'utf8')) as BedRecord;
      } catch {
        continue; // no record: destroyed already, or being created right now
      }
      if (record.id !== match[1] || !RUN_ID.test(record.id)) continue;
      if (processStartTime(record.ownerPid) === record.ownerStart) continue; // its owner still runs
      const namespaces = record.namespaces.filter((ns) => ns.startsWith(`${record.id}-`));
      const inodes = new Set<number>();
      for (const ns of namespaces) {
        try {
          inodes.add(statSync(join(NETNS_DIR, ns)).ino);
        } catch {
          // already gone
        }
      }
      const deadline = Date.now() + 2_000;
      while (pidsInNamespaces(inodes).length > 0 && Date.now() < deadline) {
        for (const pid of pidsInNamespaces(inodes)) killQuietly(pid, 'SIGKILL');
        sleepSync(10);
      }
      deleteNamespacesSync(namespaces);
      if (process.env['STG_KEEP_TEST_DIRS']) rmSync(join(dir, 'bed.json'), { force: true });
      else rmSync(dir, { recursive: true, force: true });
      swept.push(record.id);
    }
    return swept;
  }

  /**
   * ava ends a timed-out worker with SIGTERM, which skips 'exit' handlers: while a bed is open, a fatal signal
   * first destroys the open beds, then takes its default course if nobody else handles it.
   */
  private static installSignalHandlers(): void {
    if (TestBed.signalHandlers.length > 0) return;
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      const handler = () => {
        for (const bed of TestBed.open) bed.destroySync();
        TestBed.uninstallSignalHandlersIfIdle();
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      };
      process.on(signal, handler);
      TestBed.signalHandlers.push([signal, handler]);
    }
  }

  private static uninstallSignalHandlersIfIdle(): void {
    if (TestBed.open.size > 0) return;
    for (const [signal, handler] of TestBed.signalHandlers) process.removeListener(signal, handler);
    TestBed.signalHandlers = [];
  }
}

function bridgePort(host: HostName): string {
  return `v-${host}`; // at most 9 characters (<= 15)
}

function freshRunId(): string {
  const taken = new Set<string>();
  try {
    for (const name of readdirSync(NETNS_DIR)) taken.add(name.split('-')[0] ?? '');
  } catch {
    // no namespace yet
  }
  try {
    for (const entry of readdirSync(tmpdir())) {
      const match = BED_DIR.exec(entry);
      if (match?.[1]) taken.add(match[1]);
    }
  } catch {
    // unreadable tmpdir: mkdtemp will say so
  }
  for (;;) {
    const id = `sb${randomBytes(2).toString('hex')}`;
    if (!taken.has(id)) return id;
  }
}

/** Live (non-zombie) processes whose network namespace is one of `inodes`, found through /proc. */
function pidsInNamespaces(inodes: Set<number>): number[] {
  if (inodes.size === 0) return [];
  const wanted = new Set([...inodes].map((inode) => `net:[${inode}]`));
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // A zombie has left its namespaces: its link cannot be read.
      if (wanted.has(readlinkSync(`/proc/${entry}/ns/net`))) pids.push(Number(entry));
    } catch {
      // gone, or a zombie
    }
  }
  return pids;
}

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/PID/stat: with the PID, it names one process for good (PIDs are reused). */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // gone already
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function deleteNamespacesSync(namespaces: string[]): void {
  const existing = namespaces.filter((ns) => existsSync(join(NETNS_DIR, ns)));
  if (existing.length === 0) return;
  spawnSync('ip', ['-force', '-batch', '-'], {
    input: existing.map((ns) => `netns del ${ns}\n`).join(''),
    stdio: ['pipe', 'ignore', 'ignore'],
    timeout: 10_000,
  });
}

async function collect(
  child: ChildProcess,
  input: string | undefined,
  timeoutMs: number,
  kill: () => void,
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (input !== undefined) child.stdin?.end(input);
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: stderr + String(error), timedOut });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

async function runCommand(command: string, args: string[], input?: string, timeoutMs = 10_000): Promise<RunResult> {
  const child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  return collect(child, input, timeoutMs, () => child.kill('SIGKILL'));
}

/**
 * One `ip [-n NS] -batch -`: much cheaper than one `ip` per line. Batch lines take no global options, so one
 * batch serves one namespace. Without `force` it stops at the first failing line, which it names.
 */
async function ipBatch(
  lines: string[],
  ns?: string,
  force = false,
): Promise<{ ok: boolean; failedLine: number | undefined; stderr: string }> {
  const args = [...(ns ? ['-n', ns] : []), ...(force ? ['-force'] : []), '-batch', '-'];
  const result = await runCommand('ip', args, lines.join('\n') + '\n');
  const failed = /Command failed -:(\d+)/.exec(result.stderr);
  return {
    ok: result.code === 0,
    failedLine: failed ? Number(failed[1]) : undefined,
    stderr: result.stderr || (result.timedOut ? 'timed out' : ''),
  };
}

async function ipBatchOrThrow(lines: string[], ns?: string): Promise<void> {
  const result = await ipBatch(lines, ns);
  if (!result.ok)
    throw new Error(`ip${ns ? ` -n ${ns}` : ''} -batch failed: ${result.stderr.trim()} (lines: ${lines.join('; ')})`);
}
