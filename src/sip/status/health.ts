import type { StatusSources } from './sources.js';

export interface HealthReply {
  readonly status: 200 | 503;
  readonly body: {
    readonly status: 'ok' | 'unhealthy';
    readonly node: string | null;
    readonly reason?: string;
    readonly listeners: number;
    readonly dataStore: 'up' | 'down' | 'none';
  };
}

/**
 * GET /health: 200 while every configured listener is bound and, when a data store is configured, the data Redis
 * answered a PING lately; 503 with the reason otherwise, and while the endpoint closes (`stopping`). What the local
 * agent checks before it lets this node take SIP traffic.
 */
export async function healthReply(sources: StatusSources, stopping = false): Promise<HealthReply> {
  const node = sources.node ?? null;
  const listeners = sources.transports.listeners().length;
  const store = sources.dataStore ? await sources.dataStore.state() : undefined;
  const dataStore = store === undefined ? 'none' : store.up ? 'up' : 'down';
  const unhealthy = (reason: string): HealthReply => ({
    status: 503,
    body: { status: 'unhealthy', node, reason, listeners, dataStore },
  });
  if (stopping) return unhealthy('stopping: the proxy is shutting down');
  if (listeners < sources.configuredListeners) {
    return unhealthy(`${listeners} of ${sources.configuredListeners} listeners bound`);
  }
  if (store !== undefined && !store.up) return unhealthy(store.reason ?? 'data Redis down');
  return { status: 200, body: { status: 'ok', node, listeners, dataStore } };
}
