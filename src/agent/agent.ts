import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AgentConfig } from '../config/load.js';
import type { Timings } from '../config/schema.js';
import { ClusterError, LeaseLostError, NoQuorumError } from '../errors.js';
import type { Logger } from '../log.js';
import { planCampaign } from '../cluster/campaign-plan.js';
import { Election } from '../cluster/election.js';
import { LeaderJournal } from '../cluster/journal.js';
import type { LeaseObservation } from '../cluster/lease-observation.js';
import { appendEvent } from '../cluster/events.js';
import { recordFailure } from '../cluster/failcounts.js';
import { sendHeartbeat, type Heartbeat } from '../cluster/membership.js';
import type { AgentView } from '../http/agent-view.js';
import { AgentMetrics, type FailoverReason } from '../http/metrics.js';
import { startAgentHttp, type AgentHttp } from '../http/server.js';
import { BUNDLED_AGENTS_DIR } from '../resources/driver.js';
import { ResourceManager } from '../resources/manager.js';
import { leadershipRecordPath } from '../guard/leadership-record.js';
import { GuardRecord, guardRefusal } from './guard-record.js';
import { isVip } from '../guard/leadership-record.js';
import { agentView } from './agent-view.js';
import { successorOf, whyCannotLead } from './candidates.js';
import { VipDuties } from '../vip/vip-duties.js';
import { withVipLifetimes } from '../vip/vip-resources.js';
import { ControlPlane } from '../store/control-plane.js';
import { EMPTY_SNAPSHOT, readSnapshot, type ClusterSnapshot } from './cluster-snapshot.js';
import { DefinitionState } from './definition-state.js';
import { LeaderDuties } from './leader-duties.js';
import { leadRefusal, localDesire } from './local-desire.js';
import { LoopHealth } from './loop-health.js';
import { SipProxyStatusPoller } from './sip-proxy-status.js';

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
  private readonly resources: ResourceManager;
  private readonly duties: LeaderDuties;
  private readonly metrics: AgentMetrics;
  private readonly guardRecord: GuardRecord;
  private readonly vips: VipDuties;
  private http: AgentHttp | undefined;
  private readonly sipProxy: SipProxyStatusPoller | undefined;
  private readonly log: Logger;
  /** The last tick reached a majority of lock members. */
  private seesMajority = false;
  private termSeen = 0;

  private timer: NodeJS.Timeout | undefined;
  private nextTickAt = 0;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private lastSentence = '';
  private lastLagMs = 0;
  private snapshot: ClusterSnapshot = EMPTY_SNAPSHOT;
  /** Why this node may not lead (standby, failures, an invalid definition), or null. */
  private refusal: string | null = null;
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
    this.resources = new ResourceManager({
      node: this.node,
      stateDir: config.node.paths.stateDir,
      resourceAgentsDir: BUNDLED_AGENTS_DIR,
      log: rootLog.child({ component: 'resources' }),
      definition: () => withVipLifetimes(this.definition.definition),
      beforeLeaderAction: (action, resource) => {
        const term = this.election.assertLeading();
        if (action.startsWith('start:') && isVip(resource) && !this.vips.roomToAdd()) {
          throw new LeaseLostError('too little lease left to add the VIP: it could outlive the lease');
        }
        this.journal.record(term, action);
        if (action.startsWith('start:')) this.guardRecord.starting(term, resource);
        return term;
      },
      beforeStop: (resource) => this.vips.stopping(resource),
      afterStop: (resource) => {
        this.guardRecord.stopped(resource);
      },
      afterStart: (resource) => this.vips.started(resource),
      endedAsExpected: (resource) => this.vips.expired(resource),
      recordFailure: (resource, failure) =>
        recordFailure(this.plane, this.node, resource.id, failure, resource.failureTimeoutMs),
      onEvent: (message) => appendEvent(this.plane, { node: this.node, kind: 'resource', message }),
    });
    this.duties = new LeaderDuties({
      node: this.node,
      plane: this.plane,
      election: this.election,
      journal: this.journal,
      definition: this.definition,
      log: rootLog.child({ component: 'leader' }),
      externalDnsKeyFile: config.node.dnsExternalKeyFile,
      handOver: (to, reason, kind) => this.stepDown(`${reason}: handed over to ${to}`, true, to, kind),
      canLead: (id, snapshot) => this.whyCannotLead(id, snapshot),
      successor: (snapshot) => this.successor(snapshot),
    });
    this.metrics = new AgentMetrics(this.view());
    const statusUrl = config.node.sipProxy?.statusUrl;
    this.sipProxy = statusUrl
      ? new SipProxyStatusPoller(statusUrl, rootLog.child({ component: 'sip-proxy' }))
      : undefined;
    this.guardRecord = new GuardRecord(this.node, leadershipRecordPath(config.node.paths.stateDir));
    this.vips = new VipDuties({
      node: this.node,
      stateDir: config.node.paths.stateDir,
      election: this.election,
      definition: () => this.definition.definition,
      running: () =>
        new Set(
          this.resources
            .states()
            .filter((state) => state.state === 'started')
            .map((state) => state.id),
        ),
      log: rootLog.child({ component: 'vip' }),
    });
  }

  /** What the HTTP endpoint reads: the last tick's view, never a call to the lock members. */
  view(): AgentView {
    return agentView({
      node: this.node,
      seesMajority: () => this.seesMajority,
      election: this.election,
      termSeen: () => this.termSeen,
      resources: () => this.resources.states(),
      definition: () => this.definition.definition,
      placement: () => this.snapshot.placement?.document.placement ?? {},
      eventLoopLagMs: () => this.lastLagMs,
    });
  }

  private get timings(): Timings {
    return this.definition.definition.timings;
  }

  /** Starts the HTTP endpoint (throws when it cannot listen: nothing else is started then), then the loop. */
  async start(): Promise<void> {
    this.http = await startAgentHttp({
      address: this.config.node.http.address,
      port: this.config.node.http.port,
      view: this.view(),
      metrics: this.metrics,
      log: this.log,
      sipProxyStatusUrl: this.config.node.sipProxy?.statusUrl,
    });
    this.sipProxy?.start();
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
      if (error instanceof NoQuorumError) return await this.loseQuorum(error);
      if (error instanceof ClusterError) return `tick failed: ${error.message}`;
      this.log.error({ err: error }, 'unexpected exception in the agent tick, please report it as a bug');
      return 'unexpected exception raised, please report it as a bug';
    }
  }

  /** One cycle: observe, decide, act. Returns what happened, in words. */
  async tick(): Promise<string> {
    const health = this.loopHealth.sample();
    this.lastLagMs = health.lagMs;
    const snapshot = readSnapshot(this.plane, this.timings.heartbeatTtlMs, this.snapshot);
    let sentence: string;
    if (this.election.heldTerm !== undefined) {
      const renewed = await this.leaderCycle(health.lagMs, health.clockJumpMs);
      // The leader follows the definition too: `config apply` changes it through the leader's own write.
      if (!renewed.ended) await this.definition.follow(await this.plane.readVersion(this.plane.keys.definition));
      this.adopt(await snapshot);
      sentence = renewed.ended ? renewed.sentence : await this.leaderDuties(renewed.sentence);
    } else {
      const observation = await this.election.observe();
      this.adopt(await snapshot);
      sentence = await this.followerCycle(observation);
    }
    if (!this.isLeading()) this.duties.ended();
    this.applyDesire();
    await this.heartbeat(sentence);
    return sentence;
  }

  /**
   * Tells the resource manager what to run here. Only from a complete, fresh picture with a known placement: a
   * restarted agent whose first reads fail must adopt its resources, not stop them for want of a placement.
   */
  private applyDesire(): void {
    const published = this.duties.published;
    const placement =
      this.isLeading() && published && published.version > (this.snapshot.placement?.version ?? 0)
        ? published // the placement this leader has just written: act on it now, not at the next tick
        : this.snapshot.placement;
    if (!this.snapshot.fresh || !placement) return;
    const snapshot = { ...this.snapshot, placement };
    this.resources.syncFailcounts(snapshot.failures.filter((failure) => failure.node === this.node));
    this.resources.setDesire(localDesire(this.node, snapshot, this.definition.definition, this.isLeading()));
  }

  /** Takes this tick's snapshot and derives what depends on it: whether this node may lead. */
  private adopt(snapshot: ClusterSnapshot): void {
    this.snapshot = snapshot;
    this.refusal =
      this.definition.refusal ??
      guardRefusal(this.definition.definition) ??
      leadRefusal(this.node, snapshot, this.definition.definition, Date.now());
  }

  private isLeading(): boolean {
    return this.election.leading() !== undefined;
  }

  /** The leader's work after a renew that reached a majority; a refusal to lead hands over first. */
  private async leaderDuties(renewed: string): Promise<string> {
    const term = this.election.assertLeading();
    const work = (await this.leaderWork(term)) ?? (await this.duties.run(term, this.snapshot));
    if (!this.isLeading()) return work ?? renewed;
    if (this.refusal && this.refusal !== 'standby' && !this.refusal.startsWith('ineligible')) {
      return this.stepDown(`refusing to lead: ${this.refusal}`, true);
    }
    return work ?? renewed;
  }

  /** Renews the lease, or steps down for the reason found. `ended`: leadership is over. */
  private async leaderCycle(lagMs: number, clockJumpMs: number): Promise<{ sentence: string; ended: boolean }> {
    const term = this.election.heldTerm!;
    const end = async (reason: string, release: boolean) => ({
      sentence: await this.stepDown(reason, release),
      ended: true,
    });
    if (clockJumpMs !== 0) {
      return end(`wall clock jumped ${clockJumpMs} ms against monotonic time (suspend or clock step)`, true);
    }
    if (lagMs > this.timings.pauseAllowanceMs) {
      return end(`event-loop lag of ${lagMs} ms exceeded pauseAllowanceMs (${this.timings.pauseAllowanceMs} ms)`, true);
    }
    if (this.election.lapsed) return end('leadership bound passed before a renew reached a majority', true);
    const sentAt = performance.now();
    const renew = await this.election.renew();
    this.metrics.observeRenew(performance.now() - sentAt);
    this.seesMajority = renew.reached >= this.plane.majority;
    if (renew.deposed) return end(`deposed: a majority refused term ${term} (a newer term exists)`, false);
    if (!this.election.leading()) return end(`renew reached ${renew.reached}/${this.plane.total} members`, true);
    if (renew.reached < this.plane.majority) {
      const leftMs = Math.round(this.election.leading()!.until - performance.now());
      return {
        sentence: `I am ${this.node}, leader of term ${term}, but renew reached ${renew.reached}/${this.plane.total} members; leadership ends in ${leftMs} ms without a renew`,
        ended: true, // no leader duties on a minority: the renew may yet fail for good
      };
    }
    this.journal.record(this.election.assertLeading(), 'renewed');
    this.vips.refreshLifetimes();
    return { sentence: `no action: I am ${this.node}, leader of term ${term}`, ended: false };
  }

  private async followerCycle(observation: LeaseObservation): Promise<string> {
    this.seesMajority = observation.quorum;
    this.termSeen = Math.max(this.termSeen, observation.fence);
    if (!observation.quorum) {
      const waiting = observation.reachable - observation.counted;
      const why = waiting > 0 ? ` (${waiting} more reachable but restarted within one ttl or not yet identified)` : '';
      return `no quorum: ${observation.counted}/${observation.total} lock members count${why}; not campaigning`;
    }
    await this.definition.follow(observation.definition);
    this.adopt(this.snapshot);
    const holder = observation.holder;
    if (holder) this.lastHolder = holder.node;
    if (this.refusal) {
      const following =
        holder && observation.holderValidMs > 0 ? `; following ${holder.node} (term ${holder.term})` : '';
      return `refusing to lead: ${this.refusal}${following}`;
    }
    const plan = planCampaign(this.node, observation, this.snapshot.nodes, this.timings.rankDelayMs, this.lastHolder);
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
    return this.campaign(observation.fence + 1, observation.handoff?.node === this.node);
  }

  private async campaign(term: number, handedToMe: boolean): Promise<string> {
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
    this.guardRecord.leading(outcome.term);
    appendEvent(this.plane, {
      node: this.node,
      kind: 'leader',
      message: `leads term ${outcome.term}${handedToMe ? ' (handed over)' : ''}`,
    });
    // The first term of a new cluster is no failover; later ones are a handover or the end of a lost leader.
    // A handover is counted by the leader that gave the lease (it knows why); a lease that had to expire here.
    if (outcome.term > 1 && !handedToMe) this.metrics.countFailover('crash');
    const acquired = `acquired: I am ${this.node}, leader of term ${outcome.term} (granted by ${outcome.granted}/${this.plane.total})`;
    const work = await this.leaderDuties(acquired);
    return work === acquired ? acquired : `${acquired}; ${work}`;
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
  private async stepDown(
    reason: string,
    release: boolean,
    successor = this.successor(this.snapshot),
    kind: FailoverReason = 'step-down',
  ): Promise<string> {
    this.metrics.countFailover(kind);
    const term = this.election.heldTerm;
    this.vips.silence();
    // Leader-only resources stop before the lease goes, so the successor never starts them while they run here.
    await this.resources.stopLeaderResources();
    if (release) await this.election.release(successor);
    else this.election.forget();
    this.guardRecord.clear();
    this.log.warn({ term, reason }, `stepped down from term ${term}: ${reason}`);
    appendEvent(this.plane, { node: this.node, kind: 'leader', message: `stepped down from term ${term}: ${reason}` });
    return `stepped down: ${reason}`;
  }

  private async loseQuorum(error: NoQuorumError): Promise<string> {
    if (this.election.heldTerm !== undefined) {
      this.election.forget();
      this.vips.silence();
      await this.resources.stopLeaderResources(); // no-quorum policy: stop
      this.guardRecord.clear();
      return `stepped down: ${error.message}`;
    }
    return `no quorum: ${error.message}; not campaigning`;
  }

  private successor(snapshot: ClusterSnapshot): string | undefined {
    return successorOf(this.node, snapshot, this.timings.renewIntervalMs);
  }

  private whyCannotLead(id: string, snapshot: ClusterSnapshot): string | null {
    return whyCannotLead(id, snapshot, this.timings.renewIntervalMs);
  }

  private async heartbeat(sentence: string): Promise<void> {
    const heartbeat: Heartbeat = {
      node: this.node,
      pid: process.pid,
      address: this.config.node.node.address,
      http: `${this.config.node.http.address}:${this.config.node.http.port}`,
      instance: this.instance,
      startedAt: this.startedAt,
      standby: this.snapshot.intent.standby.includes(this.node),
      leaderTerm: this.election.leading()?.term ?? null,
      definitionVersion: this.definition.version,
      refusal: this.refusal,
      sentence,
      eventLoopLagMs: this.lastLagMs,
      campaignsTried: this.campaignsTried,
      resources: this.resources.states(),
      maintenance: this.snapshot.intent.maintenance,
      intentVersion: this.snapshot.intent.version,
      sip: this.sipProxy?.summary(),
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
    this.sipProxy?.stop();
    await this.ticking;
    this.vips.silence();
    this.duties.ended();
    const term = this.election.leading()?.term;
    if (term !== undefined) {
      await this.resources.stopLeaderResources();
      this.journal.record(term, 'release');
      const successor = this.successor(this.snapshot);
      await this.election.release(successor);
      this.guardRecord.clear();
      this.log.info({ term, successor }, `released the lease of term ${term}, successor ${successor ?? 'none named'}`);
      appendEvent(this.plane, {
        node: this.node,
        kind: 'leader',
        message: `stopping: released the lease of term ${term}, successor ${successor ?? 'none named'}`,
      });
    }
    await this.plane.onAll((member) => member.client.del(this.plane.keys.heartbeat(this.node)));
    await this.resources.close();
    this.vips.close();
    await this.http?.close();
    this.loopHealth.close();
    await this.plane.close();
  }
}
