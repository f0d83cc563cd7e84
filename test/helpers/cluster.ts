import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { stringify } from 'yaml';
import type { ClusterStatus } from '../../src/cli/cluster-status.js';
import { readClusterStatus } from '../../src/cli/cluster-status.js';
import type { JournalEntry } from '../../src/cluster/journal.js';
import { RedisServer, freePort, startRedisServers } from '../../src/local/redis-server.js';
import { ControlPlane } from '../../src/store/control-plane.js';
import { waitFor } from './wait.js';

export const AGENT_MAIN = fileURLToPath(new URL('../../src/agent/main.js', import.meta.url));
export const GUARD_MAIN = fileURLToPath(new URL('../../src/guard/main.js', import.meta.url));
export const CLUSTERCTL_MAIN = fileURLToPath(new URL('../../src/cli/clusterctl.js', import.meta.url));
export const quietLog = pino({ level: 'silent' });

/** An stg-agent child process started by a test. */
export class AgentProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly id: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGKILL to the whole process group (a guard and its agent), whether or not the leader is alive. */
  killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    return this.exited;
  }
}

export interface TestClusterOptions {
  members?: number;
  cluster?: string;
  timings?: Record<string, number>;
}

/**
 * Lock members and agents on loopback, in a temporary folder, for one test. `close()` stops every process it
 * started (by PID) and removes the folder.
 */
export class TestCluster {
  readonly agents = new Map<string, AgentProcess>();
  private plane: ControlPlane | undefined;

  private constructor(
    readonly dir: string,
    readonly members: RedisServer[],
    readonly cluster: string,
    private readonly timings: Record<string, number>,
    private readonly httpPorts: readonly number[],
  ) {}

  /**
   * Clusters not closed yet: if the test process ends without its teardown (a crash, ava's timeout), their
   * processes are still ended, by PID, as it exits.
   */
  private static readonly open = new Set<TestCluster>();

  static {
    process.once('exit', () => {
      for (const cluster of TestCluster.open) cluster.killEverythingNow();
    });
    // ava ends a timed-out worker with SIGTERM, which skips 'exit' handlers unless the signal is handled.
    process.once('SIGTERM', () => {
      for (const cluster of TestCluster.open) cluster.killEverythingNow();
      process.exit(143);
    });
  }

  static async start(options: TestClusterOptions = {}): Promise<TestCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'stg-test-'));
    const members = await startRedisServers(options.members ?? 3, dir);
    const httpPorts: number[] = [];
    const taken = new Set(members.map((member) => member.port));
    while (httpPorts.length < 10) {
      const port = await freePort();
      if (!taken.has(port)) httpPorts.push(port);
      taken.add(port);
    }
    const cluster = new TestCluster(dir, members, options.cluster ?? 'test', options.timings ?? {}, httpPorts);
    cluster.writeDefinition();
    TestCluster.open.add(cluster);
    return cluster;
  }

  writeDefinition(extra: Record<string, unknown> = {}): string {
    const path = join(this.dir, 'cluster.yaml');
    const definition = { cluster: this.cluster, service: { name: 'sips.example.es' }, timings: this.timings, ...extra };
    writeFileSync(path, stringify(definition));
    return path;
  }

  nodeFile(id: string, overrides: Record<string, unknown> = {}): string {
    const path = join(this.dir, `${id}.yaml`);
    const node = {
      cluster: this.cluster,
      node: { id, address: '127.0.0.1' },
      lockMembers: this.members.map((member) => ({ host: member.host, port: member.port })),
      dataStore: { host: '127.0.0.1', port: 6379 },
      http: { address: '127.0.0.1', port: this.httpPort(id) },
      paths: { stateDir: join(this.dir, id), journal: this.journalPath(id), log: join(this.dir, `${id}.log`) },
      definitionFile: 'cluster.yaml',
      ...overrides,
    };
    writeFileSync(path, stringify(node));
    return path;
  }

  /** Each node's HTTP port: stgN gets the Nth free port found at start (a port next to a free one may be taken). */
  httpPort(id: string): number {
    const port = this.httpPorts[Number(/\d+$/.exec(id)?.[0] ?? 0)];
    if (port === undefined) throw new Error(`no HTTP port reserved for node ${id}`);
    return port;
  }

  journalPath(id: string): string {
    return join(this.dir, `${id}.journal.jsonl`);
  }

  startAgent(id: string, configPath = this.nodeFile(id)): AgentProcess {
    return this.startProcess(id, AGENT_MAIN, configPath);
  }

  /** Starts stg-guard, which starts (and restarts) the agent as its child; the returned process is the guard's. */
  startGuarded(id: string, configPath = this.nodeFile(id)): AgentProcess {
    return this.startProcess(id, GUARD_MAIN, configPath);
  }

  private startProcess(id: string, main: string, configPath: string): AgentProcess {
    const errors = openSync(join(this.dir, `${id}.stderr`), 'a');
    // Its own process group: the teardown ends a guard together with the agent it started.
    const child = spawn(process.execPath, [main, '--config', configPath], {
      stdio: ['ignore', 'ignore', errors],
      detached: true,
    });
    const agent = new AgentProcess(id, child);
    this.agents.set(id, agent);
    return agent;
  }

  get controlPlane(): ControlPlane {
    this.plane ??= new ControlPlane(
      this.members.map((member) => ({ host: member.host, port: member.port })),
      { cluster: this.cluster, commandTimeoutMs: 500, ignoreWindowMs: () => 0, log: quietLog },
    );
    return this.plane;
  }

  async status(): Promise<ClusterStatus> {
    return readClusterStatus(this.controlPlane, this.cluster);
  }

  /** Waits for a leader whose term is above `aboveTerm`, and returns it. */
  async waitForLeader(aboveTerm = 0, timeoutMs = 15_000): Promise<{ node: string; term: number }> {
    return waitFor(
      `a leader with a term above ${aboveTerm}`,
      async () => {
        const status = await this.status();
        return status.leader && status.leader.term > aboveTerm ? status.leader : undefined;
      },
      { timeoutMs },
    );
  }

  /** The heartbeat sentences one member holds (readable even when the cluster has no quorum). */
  async sentencesOn(member: RedisServer): Promise<Map<string, string>> {
    const client = new Redis({ host: member.host, port: member.port, maxRetriesPerRequest: 0 });
    try {
      const sentences = new Map<string, string>();
      for (const id of this.agents.keys()) {
        const raw = await client.get(this.controlPlane.keys.heartbeat(id));
        if (raw) sentences.set(id, (JSON.parse(raw) as { sentence: string }).sentence);
      }
      return sentences;
    } finally {
      client.disconnect();
    }
  }

  /** Runs clusterctl against this cluster (a clusterctl.yaml is written on first use). */
  clusterctl(...args: string[]) {
    const config = join(this.dir, 'clusterctl.yaml');
    if (!existsSync(config)) {
      const lockMembers = this.members.map((member) => ({ host: member.host, port: member.port }));
      writeFileSync(config, stringify({ cluster: this.cluster, lockMembers }));
    }
    return spawnSync(process.execPath, [CLUSTERCTL_MAIN, '--config', config, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });
  }

  /** Every agent's journal, merged in wall-time order. */
  journal(): JournalEntry[] {
    const entries: JournalEntry[] = [];
    for (const id of this.agents.keys()) {
      const path = this.journalPath(id);
      if (!existsSync(path)) continue;
      for (const line of readFileSync(path, 'utf8').split('\n'))
        if (line) entries.push(JSON.parse(line) as JournalEntry);
    }
    return entries.sort((a, b) => a.wallMs - b.wallMs);
  }

  /** Synchronous last resort: SIGKILL to every process this cluster started. */
  private killEverythingNow(): void {
    for (const agent of this.agents.values()) agent.killGroup();
    for (const member of this.members) if (member.pid) process.kill(member.pid, 'SIGKILL');
    this.killProcessResources();
  }

  async close(): Promise<void> {
    TestCluster.open.delete(this);
    for (const agent of this.agents.values()) agent.signal('SIGCONT');
    await Promise.all([...this.agents.values()].map((agent) => agent.stop('SIGKILL')));
    for (const agent of this.agents.values()) agent.killGroup(); // a guard's agent, if any
    await this.plane?.close();
    for (const member of this.members) member.resume();
    await Promise.all(this.members.map((member) => member.stop('SIGKILL')));
    this.killProcessResources();
    // STG_KEEP_TEST_DIRS=1 keeps the logs and journals of every cluster for a post-mortem. A process killed just
    // now may still finish a file it was creating (CI saw ENOTEMPTY once): rmSync retries those errors.
    if (!process.env['STG_KEEP_TEST_DIRS']) {
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    }
  }

  /** Process resources outlive their agent by design (a restarted agent adopts them): end them by pidfile. */
  private killProcessResources(): void {
    for (const id of this.agents.keys()) {
      const folder = join(this.dir, id, 'resources');
      if (!existsSync(folder)) continue;
      for (const file of readdirSync(folder).filter((name) => name.endsWith('.pid'))) {
        const pid = Number(readFileSync(join(folder, file), 'utf8').trim().split(/\s+/)[0]);
        if (!(pid > 1)) continue;
        try {
          process.kill(-pid, 'SIGKILL'); // its own process group
        } catch {
          // already gone
        }
      }
    }
  }
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable with the journal's wallMs. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
