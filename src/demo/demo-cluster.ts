import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoRedis, type DemoRedis } from './demo-redis.js';
import {
  DEMO_SERVICE,
  nodePaths,
  writeClusterctlConfig,
  writeDefinition,
  writeNodeFile,
  writePids,
  type Endpoint,
  type StartedProcess,
} from './demo-files.js';
import { ManagedProcess, type ProcessExit } from './managed-process.js';
import { writeRegisterScenario, writeSipProxyFile } from './demo-sip.js';
import { findResourceProcesses, stopResourceProcesses } from './resource-processes.js';

const AGENT_MAIN = fileURLToPath(new URL('../agent/main.js', import.meta.url));
/** An agent's graceful stop finishes its tick and releases the lease: well under a second on loopback. */
const AGENT_STOP_GRACE_MS = 5000;
const REDIS_STOP_GRACE_MS = 5000;
/** The worker exits on SIGTERM at once; a process resource of a real cluster would get its stopMs. */
const RESOURCE_STOP_GRACE_MS = 5000;
const RESOURCE_KILL_WAIT_MS = 2000;
/** How often the demo looks for process resources the agents started, to list them in DIR/pids.json. */
const RESOURCE_SCAN_MS = 500;

export interface DemoOptions {
  dir: string;
  nodes: number;
  members: number;
  /** Told about every process that exits without having been asked to (the demo keeps going). */
  onUnexpectedExit: (process: ManagedProcess, exit: ProcessExit) => void;
}

export interface DemoAgent {
  node: string;
  process: ManagedProcess;
  nodeFile: string;
  log: string;
  journal: string;
  /** Where its agent keeps the pidfiles and logs of process resources (DIR/stgN/resources). */
  resourcesDir: string;
}

/**
 * Everything the demo runs on loopback: lock members, one data Redis, the agents stg1..stgN, with their files in
 * the state folder. Every process started is listed in DIR/pids.json at once, and stop() stops each of them. The
 * process resources the agents start (the worker) are listed there too, as the demo finds them in the nodes'
 * pidfiles, and stopped after the agents.
 */
export class DemoCluster {
  readonly lockMembers: DemoRedis[] = [];
  dataStore: DemoRedis | undefined;
  readonly agents: DemoAgent[] = [];
  clusterctlConfig = '';
  private readonly started: { info: StartedProcess; process: ManagedProcess }[] = [];
  /** Every process resource seen in a pidfile, by PID: a worker restarted after a failure is a new entry. */
  private readonly resourceProcesses = new Map<number, StartedProcess>();
  private scanTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DemoOptions) {}

  get dir(): string {
    return this.options.dir;
  }

  get lockEndpoints(): Endpoint[] {
    return this.lockMembers.map(({ host, port }) => ({ host, port }));
  }

  /** Starts everything; on a failure the caller still calls stop(), which stops whatever did start. */
  async start(): Promise<void> {
    const { dir, members, nodes } = this.options;
    mkdirSync(dir, { recursive: true });
    // allSettled, not all: a failed start must not return while another server is still being started.
    const results = await Promise.allSettled(
      Array.from({ length: members }, (_, index) =>
        this.startRedis('lock member', join(dir, `lock-${index + 1}`), 'lock-member'),
      ),
    );
    for (const result of results) {
      if (result.status === 'rejected') throw result.reason;
      this.lockMembers.push(result.value);
    }
    this.dataStore = await this.startRedis('data Redis', join(dir, 'data'), 'data-store');
    writeDefinition(dir);
    const dataStore = { host: this.dataStore.host, port: this.dataStore.port };
    this.clusterctlConfig = writeClusterctlConfig(dir, this.lockEndpoints, dataStore);
    writeRegisterScenario(dir, DEMO_SERVICE.name);
    for (let index = 0; index < nodes; index += 1) {
      const node = `stg${index + 1}`;
      const nodeFile = writeNodeFile(dir, node, index, this.lockEndpoints, dataStore);
      const paths = nodePaths(dir, node);
      writeSipProxyFile(paths.stateDir, node, index, dataStore, DEMO_SERVICE.name);
      const agent = await ManagedProcess.spawn({
        name: node,
        // Its folder: the sip-proxy resource's command names its file relative to it (demo-sip.ts).
        cwd: paths.stateDir,
        // The same Node binary as the demo's own (the project's node@24 under `npm run demo`).
        command: process.execPath,
        args: [AGENT_MAIN, '--config', nodeFile],
        logPath: paths.log,
        onUnexpectedExit: this.options.onUnexpectedExit,
      });
      this.track({ name: node, kind: 'agent', pid: agent.pid }, agent);
      this.agents.push({
        node,
        process: agent,
        nodeFile,
        log: paths.log,
        journal: paths.journal,
        resourcesDir: paths.resourcesDir,
      });
    }
    this.scanTimer = setInterval(() => this.recordResourceProcesses(), RESOURCE_SCAN_MS);
  }

  /**
   * Stops the agents first (SIGTERM: the leader stops the dummy and releases its lease naming a successor; SIGKILL
   * after a bounded wait), then the process resources they leave running (each process group: SIGTERM, SIGKILL
   * after a bounded wait), then the Redis servers the same way as the agents. The dummy needs nothing: it is a state
   * file. Returns one line per process that needed more than a SIGTERM.
   */
  async stop(): Promise<string[]> {
    clearInterval(this.scanTimer);
    const notes: string[] = [];
    const stopAll = async (kinds: StartedProcess['kind'][], graceMs: number) => {
      const targets = this.started.filter(({ info }) => kinds.includes(info.kind));
      const outcomes = await Promise.all(targets.map((target) => target.process.stop('SIGTERM', graceMs)));
      outcomes.forEach((outcome, index) => {
        const target = targets[index]!;
        if (outcome === 'killed')
          notes.push(`${target.info.name} (pid ${target.info.pid}) ignored SIGTERM for ${graceMs} ms: killed`);
      });
    };
    await stopAll(['agent'], AGENT_STOP_GRACE_MS);
    // The agents are gone, so nothing starts a process resource any more: what the pidfiles name now is all of them.
    const resources = findResourceProcesses(this.agents);
    this.recordResourceProcesses(resources);
    notes.push(...(await stopResourceProcesses(resources, RESOURCE_STOP_GRACE_MS, RESOURCE_KILL_WAIT_MS)));
    await stopAll(['lock-member', 'data-store'], REDIS_STOP_GRACE_MS);
    return notes;
  }

  private async startRedis(name: string, dir: string, kind: 'lock-member' | 'data-store'): Promise<DemoRedis> {
    return startDemoRedis({
      name,
      dir,
      durable: kind === 'lock-member',
      onUnexpectedExit: this.options.onUnexpectedExit,
      onSpawned: (server) => this.track({ name: server.name, kind, pid: server.pid }, server),
    });
  }

  private track(info: StartedProcess, child: ManagedProcess): void {
    this.started.push({ info, process: child });
    this.writePids();
  }

  /** Lists in DIR/pids.json every process resource the nodes' pidfiles name that it does not list yet. */
  private recordResourceProcesses(found = findResourceProcesses(this.agents)): void {
    let added = false;
    for (const entry of found) {
      if (this.resourceProcesses.has(entry.pid)) continue;
      this.resourceProcesses.set(entry.pid, {
        name: `${entry.resource} on ${entry.node}`,
        kind: 'resource',
        pid: entry.pid,
      });
      added = true;
    }
    if (added) this.writePids();
  }

  private writePids(): void {
    writePids(this.dir, [...this.started.map((entry) => entry.info), ...this.resourceProcesses.values()]);
  }
}
