import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import {
  flowCounts,
  messagesReceived,
  overloadRejections,
  parseErrors,
  pushWaitOutcomes,
  registerResults,
  responseClasses,
} from './readings.js';
import type { StatusSources } from './sources.js';

export interface SipProxyMetricsOptions {
  /**
   * Also export prom-client's process and Node.js metrics prefixed `stg_sip_` (default true). Each registry with
   * them starts a GC observer and an event-loop monitor for the life of the process: one per proxy, not per test.
   */
  readonly processMetrics?: boolean;
}

/**
 * The proxy's Prometheus metrics, in a registry of its own (the global prom-client registry is left alone). Every
 * value is read from the proxy's counters at scrape time: nothing is pushed on the SIP path, a scrape never shows
 * a value older than itself. Counters mirror running totals (reset, then set to the total, at each scrape); a
 * series whose source is absent (no registrar, no push wait) is not exported.
 */
export class SipProxyMetrics {
  readonly registry = new Registry();

  constructor(sources: StatusSources, options: SipProxyMetricsOptions = {}) {
    const registers = [this.registry];
    const { transports, registrar, pushWaits } = sources;

    /** Values read at scrape time: one number, or one per value of `label`. */
    type Read = () => Record<string, number> | number;
    const samples = (label: string | undefined, read: Read): [Record<string, string>, number][] => {
      const values = read();
      if (typeof values === 'number') return [[{}, values]];
      return Object.entries(values).map(([value, n]) => [{ [label!]: value }, n]);
    };
    /** A counter mirroring running totals: reset, then set to each total. */
    const totals = (name: string, help: string, label: string | undefined, read: Read): void => {
      new Counter({
        name,
        help,
        labelNames: label === undefined ? [] : [label],
        registers,
        collect(this: Counter) {
          this.reset();
          for (const [labels, total] of samples(label, read)) this.inc(labels, total);
        },
      });
    };
    /** A gauge of live values; reset first so that a value gone from `read` is gone from the scrape. */
    const gauge = (name: string, help: string, label: string | undefined, read: Read): void => {
      new Gauge({
        name,
        help,
        labelNames: label === undefined ? [] : [label],
        registers,
        collect(this: Gauge) {
          this.reset();
          for (const [labels, now] of samples(label, read)) this.set(labels, now);
        },
      });
    };

    if (registrar) {
      totals('stg_sip_registers_total', 'REGISTERs handled by this node, by result.', 'result', () =>
        registerResults(registrar.counters),
      );
      gauge(
        'stg_sip_registers_in_flight',
        'REGISTERs waiting for the data Redis now.',
        undefined,
        () => registrar.pending,
      );
      gauge(
        'stg_sip_registrar_flows',
        'Flows (connections, UDP NAT bindings) REGISTERs came over that the registrar remembers; UDP ones are only dropped at the table bound.',
        undefined,
        () => registrar.flows.size,
      );
    }
    const { dataStore } = sources;
    if (registrar && dataStore) {
      new Gauge({
        name: 'stg_sip_registrations',
        help: 'Live bindings registered through stg-sip-proxy, on any node (the same on every node: the data Redis index); NaN while that Redis does not answer.',
        registers,
        async collect(this: Gauge) {
          this.set((await dataStore.state()).registrations ?? NaN);
        },
      });
    }
    gauge('stg_sip_transactions', 'Server and client SIP transactions in the transaction layer now.', undefined, () =>
      sources.transactions(),
    );
    totals('stg_sip_responses_sent_total', 'SIP responses sent by this process, by class.', 'class', () =>
      responseClasses(transports.counters),
    );
    gauge('stg_sip_flows', 'Open stream connections, by transport.', 'transport', () => {
      const { tcp, tls, ws, wss } = flowCounts(transports.counters);
      return { tcp, tls, ws, wss };
    });
    totals(
      'stg_sip_overload_rejections_total',
      'Requests, connections or messages refused because a limit was reached, by reason.',
      'reason',
      () => overloadRejections(sources),
    );
    if (pushWaits) {
      gauge(
        'stg_sip_push_waits_pending',
        'Requests waiting for a device woken by a push now.',
        undefined,
        () => pushWaits.counters.pending,
      );
      totals('stg_sip_push_waits_total', 'Requests that waited for a push, by how the wait ended.', 'outcome', () =>
        pushWaitOutcomes(pushWaits.counters),
      );
      totals(
        'stg_sip_push_jobs_total',
        'Push jobs for waiting requests, by whether they were queued.',
        'result',
        () => ({
          queued: pushWaits.counters.pushesQueued,
          not_queued: pushWaits.counters.pushesNotQueued,
        }),
      );
    }
    totals(
      'stg_sip_messages_received_total',
      'Well-formed SIP messages received and handed to the proxy, by transport.',
      'transport',
      () => messagesReceived(transports.counters),
    );
    totals(
      'stg_sip_parse_errors_total',
      'Malformed SIP messages received (answered 400/505/513, or dropped).',
      undefined,
      () => parseErrors(transports.counters),
    );

    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'stg_sip_' });
  }

  /** The Prometheus text exposition and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
