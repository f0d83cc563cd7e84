import type { Logger } from '../../log.js';
import type { SipProxyConfig } from '../config.js';
import { pushWaitSettings } from '../proxy/push-wait-config.js';
import type { PushWaits } from '../proxy/push-wait.js';
import type { Registrar } from '../registrar/index.js';
import type { SipTransportLayer } from '../transport/index.js';
import { DataStoreProbe } from './data-store-probe.js';
import { SipProxyMetrics } from './metrics.js';
import { startStatusServer, type StatusServer } from './server.js';
import type { StatusSources } from './sources.js';

/**
 * The status endpoint of a proxy process (`status:` in its file), over its running parts; undefined when the file
 * has no `status:`. Rejects with StatusListenError when the address cannot be bound.
 */
export async function startSipStatus(
  config: SipProxyConfig,
  parts: {
    readonly transports: SipTransportLayer;
    readonly registrar: Registrar | undefined;
    readonly layer: { readonly size: { server: number; client: number } };
    readonly pushWaits: PushWaits | undefined;
    readonly log: Logger;
  },
): Promise<StatusServer | undefined> {
  if (!config.status) return undefined;
  const { transports, registrar, layer, pushWaits, log } = parts;
  const dataStore = config.dataStore ? new DataStoreProbe(config.dataStore, log) : undefined;
  const sources: StatusSources = {
    node: config.node,
    // When the process started, not this endpoint: the agent compares it across restarts.
    startedAt: new Date(Math.round(Date.now() - process.uptime() * 1000)),
    configuredListeners: config.listen.length,
    transports,
    registrar,
    transactions: () => layer.size.server + layer.size.client,
    pushWaits: pushWaits
      ? { counters: pushWaits.counters, max: pushWaitSettings(config.pushWait).maxPending }
      : undefined,
    dataStore,
  };
  let server: StatusServer;
  try {
    server = await startStatusServer({ ...config.status, sources, metrics: new SipProxyMetrics(sources), log });
  } catch (error) {
    await dataStore?.close();
    throw error;
  }
  return {
    endpoint: server.endpoint,
    close: async () => {
      await server.close();
      await dataStore?.close();
    },
  };
}
