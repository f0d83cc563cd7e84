import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AgentConfig } from '../config/load.js';
import type { Timings } from '../config/schema.js';
import { ClusterError, NoQuorumError } from '../errors.js';
import type { Logger } from '../log.js';
import { planCampaign } from '../cluster/campaign-plan.js';
import { Election } from '../cluster/election.js';
import { LeaderJournal } from '../cluster/journal.js';
import type { LeaseObservation } from '../cluster/lease-observation.js';
import { readNodes, sendHeartbeat, type Heartbeat, type NodeView } from '../cluster/membership.js';
import { ControlPlane } from '../store/control-plane.js';
import { DefinitionState } from './definition-state.js';
import { LoopHealth } from './loop-health.js';

/**
 * One stg-agent: every tick it observes the lock members, decides, acts, and says what it did in one sentence
 * (Patroni's run_cycle). Ticks never overlap; a message on the wake channel or a campaign timer runs one early.
 */
export class Agent {
  readonly node: string;
  private readonly instance = randomBytes(8).toString('hex');
  private readonly startedAt = new Date().toISOString();
  private readonly plane: ControlPlane;
  private readonly election: Election;
  private readonly journal: LeaderJournal;
  private readonly definition: DefinitionState;
  private readonly loopHealth = new LoopHealth();
  private readonly log: Logger;

  private timer: NodeJS.Timeout | undefined;
  private nextTickAt = 0;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private lastSentence = '';
  private lastLagMs = 0;
  private nodes: NodeView[] = [];
  private bootstrappedTerm: number | undefined;
  /** Monotonic time at which the lease became (or will become) free on a majority; anchors the rank delays. */
  private freeAt: number | undefined;
  private lastHolder: string | undefined;
  private campaignsTried = 0;

  constructor(
    private readonly config: AgentConfig,
    rootLog: Logger,
  ) {
    this.node = config.node.node.id;
    this.log = rootLog.child({ component: 'agent' });
    const timings = (): Timings => this.definition.definition.timings;
    this.plane = new ControlPlane(config.node.lockMembers, {
      cluster: config.node.cluster,
      commandTimeoutMs: config.bootstrapDefinition.timings.renewTimeoutMs,
      ignoreWindowMs: () => timings().leaseTtlMs,
      log: rootLog.child({ component: 'control-plane' }),
    });
    this.election = new Election(
      this.plane,
      this.node,
      this.instance,
      timings,
      rootLog.child({ component: 'election' }),
    );
    this.journal = new LeaderJournal(
      config.node.paths.journal ?? `${config.node.paths.stateDir}/leader-journal.jsonl`,
      this.node,
    );
    this.definition = new DefinitionState(this.plane, config.bootstrapDefinition);
  }

  private get timings(): Timings {
    return this.definition.definition.timings;
  }

  start(): void {
    for (const member of this.plane.members) member.subscribe(this.plane.keys.wakeChannel, () => this.wake(0));
    this.log.info({ instance: this.instance }, `agent ${this.node} started (instance ${this.instance})`);
    this.wake(0);
  }

  /** Runs a tick `inMs` from now, unless one is already due sooner. */
  wake(inMs: number): void {
    if (this.stopped) return;
    const at = performance.now() + Math.max(0, inMs);
    if (this.timer && at >= this.nextTickAt) return;
    clearTimeout(this.timer);
    this.nextTickAt = at;
    this.timer = setTimeout(() => void this.runTick(), Math.max(0, at - performance.now()));
  }

  private async runTick(): Promise<void> {
    this.timer = undefined;
    if (this.ticking || this.stopped) return;
    const startedAt = performance.now();
    this.ticking = (async () => {
      const sentence = await this.tickSafely();
      this.report(sentence);
    })();
    await this.ticking;
    this.ticking = undefined;
    this.wake(startedAt + this.timings.renewIntervalMs - performance.now());
  }

  private async tickSafely(): Promise<string> {
    try {
      return await this.tick();
    } catch (error) {
      if (error instanceof NoQuorumError) return this.loseQuorum(error);
      if (error instanceof ClusterError) return `tick failed: ${error.message}`;
      this.log.error({ err: error }, 'unexpected exception in the agent tick, please report it as a bug');
      return 'unexpected exception raised, please report it as a bug';
    }
  }

  /** One cycle: observe, decide, act. Returns what happened, in words. */
  async tick(): Promise<string> {
    const health = this.loopHealth.sample();
    this.lastLagMs = health.lagMs;
    const nodes = readNodes(this.plane, this.timings.heartbeatTtlMs).catch(() => this.nodes);
    let sentence: string;
    if (this.election.heldTerm !== undefined) {
      sentence = await this.leaderCycle(health.lagMs, health.clockJumpMs);
      this.nodes = await nodes;
    } else {
      const observation = await this.election.observe();
      this.nodes = await nodes;
      sentence = await this.followerCycle(observation);
    }
    await this.heartbeat(sentence);
    return sentence;
  }

  private async leaderCycle(lagMs: number, clockJumpMs: number): Promise<string> {
    const term = this.election.heldTerm!;
    if (clockJumpMs !== 0) {
      return this.stepDown(`wall clock jumped ${clockJumpMs} ms against monotonic time (suspend or clock step)`, true);
    }
    if (lagMs > this.timings.pauseAllowanceMs) {
      return this.stepDown(
        `event-loop lag of ${lagMs} ms exceeded pauseAllowanceMs (${this.timings.pauseAllowanceMs} ms)`,
        true,
      );
    }
    if (this.election.lapsed) return this.stepDown('leadership bound passed before a renew reached a majority', true);
    const renew = await this.election.renew();
    if (renew.deposed) return this.stepDown(`deposed: a majority refused term ${term} (a newer term exists)`, false);
    if (!this.election.leading()) {
      return this.stepDown(`renew reached ${renew.reached}/${this.plane.total} members`, true);
    }
    if (renew.reached < this.plane.majority) {
      const leftMs = Math.round(this.election.leading()!.until - performance.now());
      return `I am ${this.node}, leader of term ${term}, but renew reached ${renew.reached}/${this.plane.total} members; leadership ends in ${leftMs} ms without a renew`;
    }
    this.journal.record(this.election.assertLeading(), 'renewed');
    const work = await this.leaderWork(term);
    return work ?? `no action: I am ${this.node}, leader of term ${term}`;
  }

  private async followerCycle(observation: LeaseObservation): Promise<string> {
    if (!observation.quorum) {
      const waiting = observation.reachable - observation.counted;
      const why = waiting > 0 ? ` (${waiting} more reachable but restarted within one ttl or not yet identified)` : '';
      return `no quorum: ${observation.counted}/${observation.total} lock members count${why}; not campaigning`;
    }
    await this.definition.follow(observation.definition);
    if (this.definition.refusal) return `refusing to lead: ${this.definition.refusal}`;
    const holder = observation.holder;
    const plan = planCampaign(this.node, observation, this.nodes, this.timings.rankDelayMs, this.lastHolder);
    if (holder) this.lastHolder = holder.node;
    if (plan.afterFreeMs === undefined || observation.freeInMs === undefined) return `not campaigning: ${plan.why}`;
    const now = performance.now();
    // Re-anchored while the lease is held (its expiry moves with each renew) and when it was freed before its
    // expected expiry (a release); kept once it is free, so the rank delay runs from the moment the lease became
    // free, not from each tick.
    if (observation.freeInMs > 0 || this.freeAt === undefined || this.freeAt > now) {
      this.freeAt = now + observation.freeInMs;
    }
    const inMs = this.freeAt + plan.afterFreeMs - now;
    if (inMs > 0) {
      this.wake(inMs);
      if (holder && observation.holderValidMs > 0) {
        return `no action: I am ${this.node}, following ${holder.node} (term ${holder.term})`;
      }
      return `waiting: my turn to campaign (${plan.why}) comes in ${Math.round(inMs)} ms`;
    }
    this.freeAt = undefined;
    return this.campaign(observation.fence + 1);
  }

  private async campaign(term: number): Promise<string> {
    this.campaignsTried += 1;
    let outcome = await this.election.campaign(term);
    if (!outcome.won && outcome.fence >= term && outcome.granted < this.plane.majority) {
      // A member had seen a higher term than the majority we read: go above it once, at once.
      this.campaignsTried += 1;
      outcome = await this.election.campaign(outcome.fence + 1);
    }
    if (!outcome.won)
      return `campaign for term ${outcome.term} lost: ${outcome.reason} (granted by ${outcome.granted}/${this.plane.total})`;
    this.journal.record(this.election.assertLeading(), 'lead');
    const acquired = `acquired: I am ${this.node}, leader of term ${outcome.term} (granted by ${outcome.granted}/${this.plane.total})`;
    const work = await this.leaderWork(outcome.term);
    return work ? `${acquired}; ${work}` : acquired;
  }

  /** What a leader does once per term after its fence is up: bootstrap the definition when there is none. */
  private async leaderWork(term: number): Promise<string | undefined> {
    if (this.bootstrappedTerm === term) return undefined;
    const wrote = await this.definition.bootstrapIfAbsent(term, () =>
      this.journal.record(this.election.assertLeading(), 'bootstrap-definition'),
    );
    this.bootstrappedTerm = term;
    if (this.definition.refusal) return this.stepDown(this.definition.refusal, true);
    return wrote ? 'bootstrapped the cluster definition (version 1)' : undefined;
  }

  /**
   * Stops leading: leader-only work ends first, then the lease is released (compare-and-delete on node and term)
   * when `release` is set, so the next node need not wait for the lease to expire.
   */
  private async stepDown(reason: string, release: boolean): Promise<string> {
    const term = this.election.heldTerm;
    if (release) await this.election.release(this.successor());
    else this.election.forget();
    this.log.warn({ term, reason }, `stepped down from term ${term}: ${reason}`);
    return `stepped down: ${reason}`;
  }

  private loseQuorum(error: NoQuorumError): string {
    if (this.election.heldTerm !== undefined) {
      this.election.forget();
      return `stepped down: ${error.message}`;
    }
    return `no quorum: ${error.message}; not campaigning`;
  }

  /**
   * The first live node in node order other than this one: it gets the first turn after a graceful release.
   * Live means a heartbeat from the last few ticks: a node that died keeps its heartbeat key for a while.
   */
  private successor(): string | undefined {
    const freshMs = 3 * this.timings.renewIntervalMs;
    return this.nodes.find(
      (node) =>
        node.id !== this.node &&
        node.state === 'online' &&
        node.heartbeat?.refusal === null &&
        (node.heartbeatAgeMs ?? Infinity) <= freshMs,
    )?.id;
  }

  private async heartbeat(sentence: string): Promise<void> {
    const heartbeat: Heartbeat = {
      node: this.node,
      address: this.config.node.node.address,
      http: `${this.config.node.http.address}:${this.config.node.http.port}`,
      instance: this.instance,
      startedAt: this.startedAt,
      standby: false,
      leaderTerm: this.election.leading()?.term ?? null,
      definitionVersion: this.definition.version,
      refusal: this.definition.refusal,
      sentence,
      eventLoopLagMs: this.lastLagMs,
      campaignsTried: this.campaignsTried,
      members: this.plane.members.map((member) => {
        const health = member.health();
        return {
          label: health.label,
          runId: health.runId ?? null,
          runIdChanges: health.runIdChanges,
          counted: member.counts,
        };
      }),
    };
    await sendHeartbeat(this.plane, heartbeat, this.timings.heartbeatTtlMs);
  }

  private report(sentence: string): void {
    // Numbers change every tick; the situation does not: log at info only when the situation changes.
    const situation = sentence.replace(/\d+/g, '#');
    if (situation !== this.lastSentence) this.log.info({ lagMs: this.lastLagMs }, sentence);
    else this.log.debug({ lagMs: this.lastLagMs }, sentence);
    this.lastSentence = situation;
  }

  /** Graceful stop (SIGTERM): finish the tick, release the lease naming the successor, leave the member set. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    const term = this.election.leading()?.term;
    if (term !== undefined) {
      this.journal.record(term, 'release');
      const successor = this.successor();
      await this.election.release(successor);
      this.log.info({ term, successor }, `released the lease of term ${term}, successor ${successor ?? 'none named'}`);
    }
    await this.plane.onAll((member) => member.client.del(this.plane.keys.heartbeat(this.node)));
    this.loopHealth.close();
    await this.plane.close();
  }
}
