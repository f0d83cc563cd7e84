import { performance } from 'node:perf_hooks';
import type { ClusterDefinition, ResourceDefinition } from '../config/schema.js';
import { LeaseLostError } from '../errors.js';
import type { Logger } from '../log.js';
import { activeCount, type FailureRecord, type LastFailure } from '../cluster/failcounts.js';
import { createDriver } from './driver.js';
import { startOrder } from './order.js';
import type { OperationResult, ResourceContext, ResourceDriver } from './types.js';

export type ResourceState = 'started' | 'stopped' | 'failed' | 'unknown';

/** What this node knows about one of its resources, for the heartbeat, status and /health/<resource>. */
export interface LocalResourceState {
  id: string;
  state: ResourceState;
  /** The failure count this node last recorded for it (within the failure timeout). */
  failcount: number;
  lastFailure: LastFailure | null;
  /** Why it is not running here although it is wanted here, or null. */
  blockedBy: string | null;
}

/** What the scheduler wants of this node, and what the operator froze. */
export interface LocalDesire {
  wanted: ReadonlySet<string>;
  maintenance: boolean;
  unmanaged: ReadonlySet<string>;
}

export interface ResourceManagerOptions {
  node: string;
  stateDir: string;
  resourceAgentsDir: string;
  log: Logger;
  definition: () => ClusterDefinition;
  /**
   * Called right before any operation that makes a leader-only resource run (start, monitor); journals it and
   * returns the term to act with. Throws LeaseLostError when this node does not lead (then nothing is done).
   */
  beforeLeaderAction: (action: string, resource: ResourceDefinition) => number;
  /** Records a failure in the control plane and resolves with the resource's count on this node. */
  recordFailure: (resource: ResourceDefinition, failure: LastFailure) => Promise<number>;
  /** Tells the operator's event stream what happened (started, stopped, failed). */
  onEvent: (message: string) => void;
  /** A resource is about to be stopped here (a VIP's announcements end first). */
  beforeStop: (resource: ResourceDefinition) => void;
  /** A resource stopped here (for the guard's record of leader-only resources that may run). */
  afterStop: (resource: ResourceDefinition) => void;
  /** A resource started here (a VIP is then announced). */
  afterStart: (resource: ResourceDefinition) => void;
  /** A started resource found stopped for a reason that is no failure (a VIP's lifetime ran out by design). */
  endedAsExpected: (resource: ResourceDefinition) => boolean;
}

interface Tracked {
  driver: ResourceDriver;
  state: ResourceState;
  failcount: number;
  lastFailure: LastFailure | null;
  blockedBy: string | null;
  nextMonitorAt: number;
}

/** How often the manager looks again when nothing woke it: monitors are due at their own intervals anyway. */
const IDLE_PASS_MS = 1000;

/**
 * Converges this node's resources on what the scheduler placed here, level-based (controller-runtime's word): each
 * pass re-reads real state through monitor, so a missed event or a manual change heals at the next pass. It runs
 * beside the lease loop, never inside it: a slow start must not delay a renew.
 */
export class ResourceManager {
  private readonly tracked = new Map<string, Tracked>();
  private desire: LocalDesire = { wanted: new Set(), maintenance: false, unmanaged: new Set() };
  private desireKnown = false;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: ResourceManagerOptions) {}

  /**
   * Takes this node's failure counts from the control plane (the record), so `clusterctl cleanup` and expired
   * counts reach the manager, and a restarted agent knows its counts.
   */
  syncFailcounts(records: readonly FailureRecord[]): void {
    const now = Date.now();
    for (const resource of this.options.definition().resources) {
      const record = records.find((entry) => entry.resource === resource.id);
      const tracked = this.tracked.get(resource.id);
      if (tracked) tracked.failcount = activeCount(record, resource.failureTimeoutMs, now);
    }
  }

  /** Sets what the scheduler wants here and runs a pass soon. */
  setDesire(desire: LocalDesire): void {
    this.desire = desire;
    this.desireKnown = true;
    this.wake();
  }

  states(): LocalResourceState[] {
    return this.options.definition().resources.map((resource) => {
      const tracked = this.tracked.get(resource.id);
      return {
        id: resource.id,
        state: tracked?.state ?? 'unknown',
        failcount: tracked?.failcount ?? 0,
        lastFailure: tracked?.lastFailure ?? null,
        blockedBy: tracked?.blockedBy ?? null,
      };
    });
  }

  wake(): void {
    if (this.stopped) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.runPass(), 0);
  }

  /** Stops every leader-only resource running here (leadership lost or given up); resolves when they are stopped. */
  async stopLeaderResources(): Promise<void> {
    await this.pass;
    const leaderOnly = startOrder(this.options.definition().resources)
      .filter((resource) => resource.placement === 'leader')
      .reverse();
    for (const resource of leaderOnly) {
      const tracked = this.track(resource);
      if (tracked.state === 'stopped') continue;
      if (this.desire.unmanaged.has(resource.id)) continue;
      await this.stopOne(resource, tracked, 'leadership ended');
    }
  }

  /** Ends the loop; resources keep running (a restarted agent adopts them). */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  private async runPass(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || this.pass) return;
    this.pass = this.converge().catch((error: unknown) => {
      this.options.log.error({ err: error }, 'unexpected exception in the resource manager, please report it as a bug');
    });
    await this.pass;
    this.pass = undefined;
    if (this.again) {
      this.again = false;
      this.wake();
      return;
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.runPass(), this.untilNextMonitor());
  }

  private untilNextMonitor(): number {
    const next = Math.min(
      ...[...this.tracked.values()].map((tracked) => tracked.nextMonitorAt),
      performance.now() + IDLE_PASS_MS,
    );
    return Math.max(10, next - performance.now());
  }

  private async converge(): Promise<void> {
    if (!this.desireKnown) return; // never act before the first placement is known: probes would stop everything
    const ordered = startOrder(this.options.definition().resources);
    const frozen = (resource: ResourceDefinition) => this.desire.maintenance || this.desire.unmanaged.has(resource.id);
    for (const resource of [...ordered].reverse()) {
      const tracked = this.track(resource);
      if (tracked.state === 'unknown') await this.monitorOne(resource, tracked, 'probe');
      if (frozen(resource) || this.desire.wanted.has(resource.id)) continue;
      if (tracked.state === 'started' || tracked.state === 'failed')
        await this.stopOne(resource, tracked, 'not placed here');
    }
    for (const resource of ordered) {
      const tracked = this.track(resource);
      if (frozen(resource)) {
        if (performance.now() >= tracked.nextMonitorAt) await this.monitorOne(resource, tracked, 'monitor');
        tracked.blockedBy = this.desire.maintenance ? 'maintenance: nothing is started or stopped' : 'unmanaged';
        continue;
      }
      if (!this.desire.wanted.has(resource.id)) {
        tracked.blockedBy = null;
        continue;
      }
      if (tracked.state === 'started') {
        if (performance.now() >= tracked.nextMonitorAt) await this.monitorOne(resource, tracked, 'monitor');
        if (tracked.state === 'started') continue;
      }
      if (tracked.state === 'failed') {
        if (tracked.failcount >= resource.migrationThreshold) {
          tracked.blockedBy = `failed ${tracked.failcount} times (threshold ${resource.migrationThreshold}): waiting to be moved away`;
          continue;
        }
        await this.stopOne(resource, tracked, 'restart after a failure');
      }
      const missing = resource.after.find((dependency) => this.tracked.get(dependency)?.state !== 'started');
      if (missing) {
        tracked.blockedBy = `dependency ${missing} not started here`;
        continue;
      }
      await this.startOne(resource, tracked);
    }
  }

  private track(resource: ResourceDefinition): Tracked {
    let tracked = this.tracked.get(resource.id);
    if (!tracked || tracked.driver.resource !== resource) {
      tracked = {
        driver: createDriver(resource),
        state: tracked?.state ?? 'unknown',
        failcount: tracked?.failcount ?? 0,
        lastFailure: tracked?.lastFailure ?? null,
        blockedBy: null,
        nextMonitorAt: 0,
      };
      this.tracked.set(resource.id, tracked);
    }
    return tracked;
  }

  private context(term: number | undefined, probe = false): ResourceContext {
    const { node, stateDir, resourceAgentsDir } = this.options;
    return { node, term, stateDir, resourceAgentsDir, log: this.options.log, probe };
  }

  /** The term for a leader-only resource (journaled), undefined for others; null when this node may not act. */
  private leaderTerm(resource: ResourceDefinition, action: string): number | undefined | null {
    if (resource.placement !== 'leader') return undefined;
    try {
      return this.options.beforeLeaderAction(`${action}:${resource.id}`, resource);
    } catch (error) {
      if (error instanceof LeaseLostError) return null;
      throw error;
    }
  }

  private async startOne(resource: ResourceDefinition, tracked: Tracked): Promise<void> {
    const term = this.leaderTerm(resource, 'start');
    if (term === null) {
      tracked.blockedBy = 'only the leader runs it';
      return;
    }
    const result = await tracked.driver.start(this.context(term));
    if (result.rc === 0) {
      tracked.state = 'started';
      tracked.blockedBy = null;
      tracked.nextMonitorAt = performance.now() + resource.monitorIntervalMs;
      this.options.log.info({ resource: resource.id, durationMs: result.durationMs }, `started ${resource.id}`);
      this.options.onEvent(`started ${resource.id}`);
      this.options.afterStart(resource);
      return;
    }
    await this.fail(resource, tracked, result);
  }

  private async stopOne(resource: ResourceDefinition, tracked: Tracked, why: string): Promise<void> {
    this.options.beforeStop(resource);
    const result = await tracked.driver.stop(this.context(undefined));
    if (result.rc === 0) {
      this.options.afterStop(resource);
      if (tracked.state !== 'stopped') {
        this.options.log.info({ resource: resource.id, why }, `stopped ${resource.id}: ${why}`);
        this.options.onEvent(`stopped ${resource.id}: ${why}`);
      }
      tracked.state = 'stopped';
      return;
    }
    // A stop that fails leaves the resource in an unknown condition: count it and try again at the next pass.
    await this.fail(resource, tracked, result);
  }

  private async monitorOne(resource: ResourceDefinition, tracked: Tracked, kind: 'probe' | 'monitor'): Promise<void> {
    // A probe only looks; a monitor of a wanted leader-only resource is a leader action and is journaled.
    const leaderWork = kind === 'monitor' && resource.placement === 'leader' && this.desire.wanted.has(resource.id);
    const term = leaderWork ? this.leaderTerm(resource, 'monitor') : undefined;
    if (term === null) return;
    const result = await tracked.driver.monitor(this.context(term, kind === 'probe'));
    tracked.nextMonitorAt = performance.now() + resource.monitorIntervalMs;
    if (result.rc === 0) {
      tracked.state = 'started';
      return;
    }
    if (result.rc === 7) {
      const wasStarted = tracked.state === 'started';
      if (tracked.state !== 'failed') tracked.state = 'stopped';
      // Found stopped although we started it: a failure (it died or someone stopped it behind our back), unless
      // its end was expected (a VIP whose kernel lifetime ran out because the lease could not be renewed).
      if (wasStarted && !this.options.endedAsExpected(resource)) {
        await this.fail(resource, tracked, { ...result, reason: result.reason || 'not running' });
      }
      return;
    }
    // A failure is counted when it happens, not again at each monitor that still sees it (Pacemaker's way).
    if (tracked.state === 'failed') return;
    await this.fail(resource, tracked, result);
  }

  private async fail(resource: ResourceDefinition, tracked: Tracked, result: OperationResult): Promise<void> {
    tracked.state = 'failed';
    const failure: LastFailure = {
      operation: result.operation,
      rc: result.rc,
      rcName: result.rcName,
      reason: result.reason,
      at: new Date().toISOString(),
    };
    tracked.lastFailure = failure;
    tracked.blockedBy = `${result.operation} failed: ${result.rcName}${result.reason ? ` (${result.reason})` : ''}`;
    this.options.log.warn({ resource: resource.id, failure }, `${resource.id}: ${tracked.blockedBy}`);
    this.options.onEvent(`${resource.id}: ${tracked.blockedBy}`);
    try {
      tracked.failcount = await this.options.recordFailure(resource, failure);
    } catch (error) {
      tracked.failcount += 1;
      this.options.log.warn({ err: error }, `could not record the failure of ${resource.id} in the control plane`);
    }
  }
}
