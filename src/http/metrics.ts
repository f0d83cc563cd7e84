import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentView, ResourceView } from './agent-view.js';

/**
 * Why leadership changed. A closed set keeps the label's cardinality bounded: crash (the old leader's lease
 * expired), switchover (operator, orderly), failover (operator, no healthy leader), step-down (the leader gave up
 * on its own: renew failed, self-fencing), handover (the leader became ineligible, e.g. a failcount threshold).
 */
export type FailoverReason = 'crash' | 'switchover' | 'failover' | 'step-down' | 'handover';
export const FAILOVER_REASONS: readonly FailoverReason[] = ['crash', 'switchover', 'failover', 'step-down', 'handover'];

const RESOURCE_STATES: readonly ResourceView['state'][] = ['started', 'stopped', 'failed', 'unknown'];

/** Renewals run over loopback or a LAN: from half a millisecond up to half a second (past that, a tick is late). */
export const RENEW_LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
];

export interface AgentMetricsOptions {
  /**
   * Also export prom-client's process and Node.js metrics (CPU, RSS, heap, GC, open fds), prefixed `stg_`
   * (`stg_process_cpu_seconds_total`). Default true. Each registry that includes them starts its own GC observer
   * and event-loop-delay monitor, which live as long as the process: one per agent, not one per test.
   */
  processMetrics?: boolean;
}

/**
 * The agent's Prometheus metrics, in a registry of their own (the global prom-client registry is left alone).
 * Gauges read the AgentView at scrape time, so a scrape never shows a value older than the last tick. Only the
 * renew latency histogram and the failover counter are pushed by the agent, through the methods below.
 *
 * The view's methods are called only during a scrape, so an agent may pass itself from its constructor.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  private readonly renewLatency: Histogram;
  private readonly failovers: Counter<'reason'>;

  constructor(view: AgentView, options: AgentMetricsOptions = {}) {
    const registers = [this.registry];
    const scalar = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect(this: Gauge) {
          this.set(read());
        },
      });
    };
    scalar('stg_ha_term', 'Highest leadership term this agent has seen.', () => view.termSeen());
    scalar('stg_ha_is_leader', '1 while this agent leads the current term (local bound holds), else 0.', () =>
      view.leaderTerm() === undefined ? 0 : 1,
    );
    scalar(
      'stg_ha_lease_remaining_seconds',
      'Seconds left on the local leadership bound; 0 when not leading.',
      () => Math.max(0, view.leaseLeftMs() ?? 0) / 1000,
    );
    scalar('stg_ha_quorum', '1 when the last tick reached a majority of lock members, else 0.', () =>
      view.seesMajority() ? 1 : 0,
    );
    scalar(
      'stg_ha_event_loop_lag_seconds',
      'Event-loop lag as measured by the agent.',
      () => view.eventLoopLagMs() / 1000,
    );

    new Gauge({
      name: 'stg_ha_resource_state',
      help: 'Resource state on this node: 1 for the current state, 0 for the others.',
      labelNames: ['resource', 'state'],
      registers,
      collect(this: Gauge<'resource' | 'state'>) {
        // Rebuilt on every scrape so that a resource removed from the definition disappears.
        this.reset();
        for (const resource of view.resources()) {
          for (const state of RESOURCE_STATES)
            this.set({ resource: resource.id, state }, state === resource.state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'stg_ha_resource_failcount',
      help: 'Failure count of the resource on this node (reset by cleanup or the failure timeout).',
      labelNames: ['resource'],
      registers,
      collect(this: Gauge<'resource'>) {
        this.reset();
        for (const resource of view.resources()) this.set({ resource: resource.id }, resource.failcount);
      },
    });

    this.renewLatency = new Histogram({
      name: 'stg_ha_renew_latency_seconds',
      help: 'Time taken by a lease renewal round.',
      buckets: [...RENEW_LATENCY_BUCKETS],
      registers,
    });
    this.failovers = new Counter({
      name: 'stg_ha_failovers_total',
      help: 'Leadership changes counted by this agent, by reason.',
      labelNames: ['reason'],
      registers,
    });
    // Every reason starts at 0, so rate() and increase() see the first failover instead of a new series.
    for (const reason of FAILOVER_REASONS) this.failovers.inc({ reason }, 0);

    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'stg_' });
  }

  /** Record one lease renewal round that took `ms` milliseconds. */
  observeRenew(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.renewLatency.observe(ms / 1000);
  }

  /**
   * Count one leadership change. Count it on one side only (the node that takes the lease knows whether the old
   * one expired or was released), so that a sum over the cluster counts each change once.
   */
  countFailover(reason: FailoverReason): void {
    this.failovers.inc({ reason });
  }

  /** The Prometheus text exposition and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
