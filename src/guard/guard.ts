import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { AgentConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import { createDriver } from '../resources/driver.js';
import { BUNDLED_AGENTS_DIR } from '../resources/driver.js';
import { ControlPlane } from '../store/control-plane.js';
import { clearLeadershipRecord, isVip, leadershipRecordPath, readLeadershipRecord } from './leadership-record.js';

/** The agent's exit code for an invalid configuration: restarting cannot help. */
const EXIT_BAD_CONFIG = 78;
const RESTART_DELAY_MS = { first: 200, max: 10_000 };
/** An agent that ran this long before it died gets restarted at once again (it was not crash-looping). */
const STABLE_RUN_MS = 30_000;

export interface GuardOptions {
  config: AgentConfig;
  /** The agent's entry (dist/src/agent/main.js). */
  agentMain: string;
  log: Logger;
}

/**
 * The agent's parent (ARCHITECTURE.md "Floating VIP", layer 2): the process systemd starts. It acts only once the
 * agent has exited (its exit is reported by waitpid, not guessed from a closed pipe): it removes the VIPs the agent
 * held, releases the lease for it when the VIPs were the node's only leader-only resources (otherwise the lease
 * expires and the others' stop margin applies), then restarts the agent. Its own SIGTERM is honoured only after
 * that cleanup.
 */
export class Guard {
  private agent: ChildProcess | undefined;
  private stopping = false;
  private cleaning: Promise<void> | undefined;
  private restartDelayMs = RESTART_DELAY_MS.first;
  private readonly plane: ControlPlane;
  private readonly recordPath: string;

  constructor(private readonly options: GuardOptions) {
    const { config, log } = options;
    this.recordPath = leadershipRecordPath(config.node.paths.stateDir);
    // Connected from the start, so a release after a crash costs one round trip, not a connection.
    this.plane = new ControlPlane(config.node.lockMembers, {
      cluster: config.node.cluster,
      commandTimeoutMs: config.bootstrapDefinition.timings.renewTimeoutMs,
      ignoreWindowMs: () => 0,
      log: log.child({ component: 'guard-control-plane' }),
    });
  }

  /** Starts the agent; resolves with the guard's exit code once it has been stopped (stop()). */
  run(): Promise<number> {
    return new Promise((resolve) => {
      this.onStopped = resolve;
      this.startAgent();
    });
  }

  private onStopped: (code: number) => void = () => undefined;

  /** SIGTERM: the agent stops gracefully (it releases the lease itself), then the guard cleans up and exits. */
  stop(signal: NodeJS.Signals): void {
    if (this.stopping) return;
    this.stopping = true;
    this.options.log.info({ signal }, `guard received ${signal}: stopping the agent, then cleaning up`);
    if (this.agent && this.agent.exitCode === null && this.agent.signalCode === null) this.agent.kill('SIGTERM');
    else void this.finish(0);
  }

  private startAgent(): void {
    const startedAt = performance.now();
    const child = spawn(process.execPath, [this.options.agentMain, '--config', this.options.config.path], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, STG_GUARD_PID: String(process.pid) },
    });
    this.agent = child;
    this.options.log.info({ pid: child.pid }, `started the agent (pid ${child.pid})`);
    child.once('exit', (code, signal) => void this.onAgentExit(code, signal, performance.now() - startedAt));
  }

  private async onAgentExit(code: number | null, signal: NodeJS.Signals | null, ranMs: number): Promise<void> {
    const how = signal ? `killed by ${signal}` : `exit code ${code}`;
    this.options.log.warn({ code, signal }, `the agent exited (${how}): cleaning up after it`);
    this.cleaning = this.cleanUp();
    await this.cleaning;
    if (this.stopping) return this.finish(0);
    if (code === EXIT_BAD_CONFIG) {
      this.options.log.error('the agent refused its configuration: not restarting it');
      return this.finish(EXIT_BAD_CONFIG);
    }
    this.restartDelayMs =
      ranMs > STABLE_RUN_MS ? RESTART_DELAY_MS.first : Math.min(this.restartDelayMs * 2, RESTART_DELAY_MS.max);
    const delay = ranMs > STABLE_RUN_MS ? 0 : this.restartDelayMs;
    setTimeout(() => {
      if (!this.stopping) this.startAgent();
      else void this.finish(0);
    }, delay);
  }

  /**
   * Removes the VIPs the dead agent held and, when nothing else leader-only may still run here, releases its lease
   * (compare-and-delete on node and term) so another node need not wait for it to expire.
   */
  private async cleanUp(): Promise<void> {
    const { config, log } = this.options;
    const record = readLeadershipRecord(this.recordPath);
    if (!record) return;
    const vips = record.resources.filter(isVip);
    let removed = true;
    for (const resource of vips) {
      const result = await createDriver(resource).stop({
        node: config.node.node.id,
        term: undefined,
        stateDir: config.node.paths.stateDir,
        resourceAgentsDir: BUNDLED_AGENTS_DIR,
        log,
      });
      if (result.rc !== 0) removed = false;
      log.info(
        { resource: resource.id, rc: result.rc },
        `removed VIP ${resource.id}: ${result.rcName} ${result.reason}`,
      );
    }
    const others = record.resources.filter((resource) => !isVip(resource));
    if (removed && others.length === 0) {
      const released = await this.release(record.node, record.term);
      log.info({ term: record.term, released }, `released the lease of term ${record.term} on ${released} member(s)`);
    } else {
      log.info(
        { others: others.map((resource) => resource.id) },
        'other leader-only resources may still run here: the lease is left to expire',
      );
    }
    if (removed) clearLeadershipRecord(this.recordPath);
  }

  private async release(node: string, term: number): Promise<number> {
    const keys = this.plane.keys;
    const ttl = this.options.config.bootstrapDefinition.timings.leaseTtlMs;
    const answers = await this.plane.onAll((member) =>
      member.run('releaseLease', [keys.lease, keys.handoff, keys.wakeChannel], [node, term, '', ttl]),
    );
    return answers.filter((answer) => answer.ok && answer.value === 1).length;
  }

  private async finish(code: number): Promise<void> {
    await this.cleaning;
    await this.plane.close();
    this.onStopped(code);
  }
}
