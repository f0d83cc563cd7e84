import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import { countLiveRegistrations, pruneExpiredRegistrations } from '../registrar/binding-store.js';
import type { DataStoreConfig } from '../registrar/config.js';

/** At most one PING per this interval, whatever the number of requests. */
const PROBE_EVERY_MS = 1_000;
/** A PING not answered within this is a failure (a frozen or overloaded Redis keeps its connection open). */
const PING_TIMEOUT_MS = 1_000;
/** An answer older than this is not given as it is: the caller waits for a fresh PING (bounded by its timeout). */
const STALE_AFTER_MS = 5_000;
/** Index entries of bindings that expired unremoved are dropped at most this often. */
const PRUNE_EVERY_MS = 60_000;

export interface DataStoreState {
  readonly up: boolean;
  /** Why it is down: no connection, no answer in time, an error. */
  readonly reason?: string;
  /** When the answer was obtained (ms since the epoch). */
  readonly at: number;
  /** Live bindings registered through stg-sip-proxy, on any node (read with the PING); absent when down. */
  readonly registrations?: number;
}

/**
 * Whether the data Redis answers, for /health and /status: a PING on a connection of its own, at most once a
 * second. The same round trip counts the live registrations (the registrar's index), for /metrics and /status.
 * The registrar's connection is not used: it is not exposed, and its ioredis status stays "ready" while a frozen
 * Redis keeps the TCP connection open, which only a command with a timeout can tell.
 *
 * `state()` never waits while the last answer is recent: it answers from it and starts the next PING in the
 * background, so an agent polling every second or two never waits for Redis. After a quiet spell (nobody asked for
 * STALE_AFTER_MS) it waits for a fresh PING, at most PING_TIMEOUT_MS.
 */
export class DataStoreProbe {
  private readonly redis: Redis;
  private readonly endpoint: string;
  private last: DataStoreState | undefined;
  private lastStartedAt = 0;
  private lastPrunedAt = -Infinity;
  private inFlight: Promise<DataStoreState> | undefined;

  constructor(
    dataStore: DataStoreConfig,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.endpoint = `${dataStore.host}:${dataStore.port}`;
    const password = dataStore.passwordFile ? readFileSync(dataStore.passwordFile, 'utf8').trim() : undefined;
    this.redis = new Redis({
      host: dataStore.host,
      port: dataStore.port,
      password,
      db: dataStore.db ?? 0,
      connectionName: 'stg-sip-proxy:status',
      commandTimeout: PING_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      // Not connected: fail at once rather than queue the PING until a reconnection.
      enableOfflineQueue: false,
      retryStrategy: (times) => Math.min(1000, 50 * times),
    });
    // The registrar logs the data Redis going down and coming back; here an error must only not be unhandled.
    this.redis.on('error', () => undefined);
  }

  async state(): Promise<DataStoreState> {
    const now = this.now();
    if (this.inFlight === undefined && now - this.lastStartedAt >= PROBE_EVERY_MS) this.startPing();
    if (this.last !== undefined && now - this.last.at < STALE_AFTER_MS) return this.last;
    return this.inFlight ?? this.last ?? this.startPing();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private startPing(): Promise<DataStoreState> {
    // Cleared once settled, never before the assignment (the PING may settle at once when not connected).
    const running: Promise<DataStoreState> = this.ping().finally(() => {
      if (this.inFlight === running) this.inFlight = undefined;
    });
    this.inFlight = running;
    return running;
  }

  private async ping(): Promise<DataStoreState> {
    this.lastStartedAt = this.now();
    let state: DataStoreState;
    if (this.redis.status !== 'ready') {
      state = { up: false, reason: `data Redis ${this.endpoint} not connected (${this.redis.status})`, at: this.now() };
    } else {
      try {
        const nowS = Math.floor(this.now() / 1000);
        const [, registrations] = await Promise.all([this.redis.ping(), countLiveRegistrations(this.redis, nowS)]);
        state = { up: true, at: this.now(), registrations };
        if (this.now() - this.lastPrunedAt >= PRUNE_EVERY_MS) this.prune(nowS);
      } catch (error) {
        const message = (error as Error).message;
        const reason = /timed out/i.test(message)
          ? `data Redis ${this.endpoint} did not answer PING within ${PING_TIMEOUT_MS} ms`
          : `data Redis ${this.endpoint}: ${message}`;
        state = { up: false, reason, at: this.now() };
      }
    }
    if (this.last !== undefined && this.last.up !== state.up) {
      if (state.up) this.log.info({ dataStore: { up: true } }, 'health: data Redis answers again');
      else this.log.warn({ dataStore: { up: false } }, `health: ${state.reason}`);
    }
    this.last = state;
    return state;
  }

  private prune(nowS: number): void {
    this.lastPrunedAt = this.now();
    pruneExpiredRegistrations(this.redis, nowS).catch((error: Error) =>
      this.log.warn({ err: error }, `cannot prune the index of expired registrations: ${error.message}`),
    );
  }
}
