import type { TransportName } from '../transport/index.js';
import {
  flowCounts,
  overloadRejections,
  responseClasses,
  sum,
  type FlowCounts,
  type ResponseClass,
} from './readings.js';
import type { StatusSources } from './sources.js';

/** GET /status: what the local agent (and `clusterctl status` through it) shows about this proxy. */
export interface StatusSnapshot {
  readonly node: string | null;
  readonly pid: number;
  readonly startedAt: string;
  readonly listeners: readonly { transport: TransportName; address: string; port: number }[];
  readonly dataStore: 'up' | 'down' | 'none';
  /** Null without a registrar. */
  readonly registrations: {
    /** Live bindings registered through stg-sip-proxy on any node; null while the data Redis does not answer. */
    readonly live: number | null;
    readonly stored: number;
    readonly removed: number;
    readonly fetched: number;
    readonly rejected: number;
    readonly overload: number;
    readonly storeFailed: number;
  } | null;
  readonly transactions: number;
  readonly responses: Record<ResponseClass, number>;
  readonly flows: FlowCounts;
  /** All overload rejections together (by reason in /metrics). */
  readonly overloadRejections: number;
  /** Null when push waits are off. */
  readonly pushWaits: { readonly pending: number; readonly max: number } | null;
}

export async function statusSnapshot(sources: StatusSources): Promise<StatusSnapshot> {
  const { transports, registrar, pushWaits } = sources;
  const store = sources.dataStore ? await sources.dataStore.state() : undefined;
  const dataStore = store === undefined ? 'none' : store.up ? 'up' : 'down';
  const counters = registrar?.counters;
  return {
    node: sources.node ?? null,
    pid: process.pid,
    startedAt: sources.startedAt.toISOString(),
    listeners: transports.listeners().map(({ transport, address, port }) => ({ transport, address, port })),
    dataStore,
    registrations: counters
      ? {
          live: store?.registrations ?? null,
          stored: counters.stored,
          removed: counters.removed,
          fetched: counters.fetched,
          rejected: counters.rejected,
          overload: counters.overloaded,
          storeFailed: counters.storeFailures,
        }
      : null,
    transactions: sources.transactions(),
    responses: responseClasses(transports.counters),
    flows: flowCounts(transports.counters),
    overloadRejections: sum(overloadRejections(sources)),
    pushWaits: pushWaits ? { pending: pushWaits.counters.pending, max: pushWaits.max } : null,
  };
}
