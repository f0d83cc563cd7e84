import type { PushWaitCounters } from '../proxy/push-wait.js';
import type { RegistrarCounters } from '../registrar/registrar.js';
import type { ListenSpec, TransportCounters } from '../transport/index.js';
import type { DataStoreProbe } from './data-store-probe.js';

/**
 * What the status endpoint reads, live, at each request: the running parts of the proxy, seen through the few
 * members it needs (tests pass plain objects). Nothing here is copied: every answer shows the values of that moment.
 */
export interface StatusSources {
  readonly node: string | undefined;
  readonly startedAt: Date;
  /** The listen entries of the configuration: the listeners are up when this many are bound. */
  readonly configuredListeners: number;
  readonly transports: {
    readonly counters: TransportCounters;
    listeners(): readonly ListenSpec[];
  };
  /** Absent without `registrar:` and `dataStore:`. */
  readonly registrar:
    | {
        readonly counters: RegistrarCounters;
        /** REGISTERs waiting for Redis now. */
        readonly pending: number;
        /** The flows (connections, UDP NAT bindings) REGISTERs came over that the registrar remembers. */
        readonly flows: { readonly size: number };
      }
    | undefined;
  /** Server and client transactions in the transaction layer now. */
  transactions(): number;
  /** Absent when push waits are off (or there is no registrar). */
  readonly pushWaits: { readonly counters: PushWaitCounters; readonly max: number } | undefined;
  /** Absent without `dataStore:`. */
  readonly dataStore: Pick<DataStoreProbe, 'state'> | undefined;
}
