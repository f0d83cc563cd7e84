import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FAILURE_REASONS, type PushOutcome } from './outcome.js';
import type { AttemptResult } from './provider.js';

const PROVIDERS = ['fcm', 'apns'] as const;
/** From a local emulator's milliseconds to a provider outage's retries within a call timeout. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The push worker's Prometheus metrics, in a registry of their own: pushes sent (accepted by the provider),
 * failed by reason (expired counts as reason `deadline`), the latency from queued to the provider's accepting
 * answer, and every attempt by result. Reasons and results are closed sets, so label cardinality stays bounded.
 */
export class PushMetrics {
  readonly registry = new Registry();
  private readonly sent: Counter<'provider'>;
  private readonly failed: Counter<'provider' | 'reason'>;
  private readonly latency: Histogram<'provider'>;
  private readonly attempts: Counter<'provider' | 'result'>;
  readonly inFlight: Gauge;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.sent = new Counter({
      name: 'stg_push_sent_total',
      help: 'Pushes a provider accepted.',
      labelNames: ['provider'],
      registers,
    });
    this.failed = new Counter({
      name: 'stg_push_failed_total',
      help: 'Push jobs that ended without a provider accepting them, by reason (deadline = expired).',
      labelNames: ['provider', 'reason'],
      registers,
    });
    this.latency = new Histogram({
      name: 'stg_push_latency_seconds',
      help: 'From a job queued to the provider accepting its push.',
      labelNames: ['provider'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.attempts = new Counter({
      name: 'stg_push_attempts_total',
      help: 'Send attempts by provider and result (accepted, invalid-token, retry, rejected).',
      labelNames: ['provider', 'result'],
      registers,
    });
    this.inFlight = new Gauge({ name: 'stg_push_in_flight', help: 'Jobs this worker holds now.', registers });
    // Every series starts at 0, so rate() sees the first event instead of a new series.
    for (const provider of PROVIDERS) {
      this.sent.inc({ provider }, 0);
      for (const reason of FAILURE_REASONS) this.failed.inc({ provider, reason }, 0);
    }
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'stg_push_' });
  }

  attempt(provider: 'fcm' | 'apns', result: AttemptResult): void {
    this.attempts.inc({ provider, result: result.kind });
  }

  outcome(outcome: PushOutcome): void {
    if (outcome.state === 'delivered') {
      this.sent.inc({ provider: outcome.provider });
      this.latency.observe({ provider: outcome.provider }, Math.max(0, outcome.finishedAt - outcome.queuedAt) / 1000);
    } else {
      this.failed.inc({ provider: outcome.provider, reason: outcome.reason ?? 'unknown' });
    }
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** A small HTTP endpoint: GET /metrics (Prometheus text), anything else 404. Resolves with the bound port. */
export async function serveMetrics(
  metrics: PushMetrics,
  address: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    metrics.text().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
