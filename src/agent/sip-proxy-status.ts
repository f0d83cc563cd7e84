import { jsonObject } from '../json-object.js';
import type { Logger } from '../log.js';
import { getFromProxy } from '../http/sip-proxy-client.js';
import type { SipProxySummary } from '../cluster/membership.js';

/** How often the agent reads the proxy's /status, and how long it waits for one answer. */
export const SIP_STATUS_POLL_MS = 3000;
export const SIP_STATUS_TIMEOUT_MS = 1000;

/**
 * Reads this node's stg-sip-proxy `/status` every few seconds, on a timer of its own: the election tick never waits
 * on the proxy, it only copies the last summary into its heartbeat. One read at a time; a read that fails or answers
 * something unreadable makes the summary `unreachable` (with the reason), so `clusterctl status` says so.
 */
export class SipProxyStatusPoller {
  private last: SipProxySummary | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private lastReason = '';

  constructor(
    private readonly statusUrl: string,
    private readonly log: Logger,
    private readonly everyMs = SIP_STATUS_POLL_MS,
    private readonly timeoutMs = SIP_STATUS_TIMEOUT_MS,
  ) {}

  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The last summary read (undefined until the first read ended). */
  summary(): SipProxySummary | undefined {
    return this.last;
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const answer = await getFromProxy(this.statusUrl, '/status', this.timeoutMs);
      const at = new Date().toISOString();
      const summary = answer.ok
        ? answer.status === 200
          ? summarize(answer.text, at)
          : { unreachable: true as const, reason: `/status answered ${answer.status}`, at }
        : { unreachable: true as const, reason: answer.reason, at };
      this.note(summary);
      this.last = summary;
    } finally {
      this.polling = false;
    }
  }

  /** Logs when the proxy becomes unreachable or comes back, not on every read. */
  private note(summary: SipProxySummary): void {
    const reason = 'unreachable' in summary ? summary.reason : '';
    if (reason === this.lastReason) return;
    if (reason !== '') this.log.warn({ statusUrl: this.statusUrl, reason }, `sip-proxy status unreadable: ${reason}`);
    else this.log.info({ statusUrl: this.statusUrl }, 'sip-proxy status readable again');
    this.lastReason = reason;
  }
}

/** The heartbeat's few numbers from the proxy's /status body; `unreachable` when the body is not what it should be. */
export function summarize(text: string, at: string): SipProxySummary {
  const status = jsonObject(text);
  if (status === undefined) return { unreachable: true, reason: '/status is not a JSON object', at };
  const flows = countOf(status['flows']);
  const transactions = countOf(status['transactions']);
  if (flows === undefined || transactions === undefined) {
    return { unreachable: true, reason: '/status lacks flows or transactions', at };
  }
  const pushWaits = status['pushWaits'];
  const pending =
    typeof pushWaits === 'object' && pushWaits !== null ? (pushWaits as Record<string, unknown>)['pending'] : undefined;
  const registrations = status['registrations'];
  const live =
    typeof registrations === 'object' && registrations !== null
      ? (registrations as Record<string, unknown>)['live']
      : undefined;
  const dataStore = status['dataStore'];
  return {
    flows,
    transactions,
    pushPending: typeof pending === 'number' && Number.isFinite(pending) ? pending : null,
    registrations: typeof live === 'number' && Number.isFinite(live) ? live : null,
    dataStore: dataStore === 'up' || dataStore === 'down' || dataStore === 'none' ? dataStore : 'unknown',
    at,
  };
}

/** A count given as a number, or as an object with `total` (else the sum of its numbers). */
function countOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  if (typeof fields['total'] === 'number') return fields['total'];
  const numbers = Object.values(fields).filter((field): field is number => typeof field === 'number');
  return numbers.length > 0 ? numbers.reduce((sum, field) => sum + field, 0) : undefined;
}
