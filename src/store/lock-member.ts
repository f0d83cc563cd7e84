import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { RedisEndpoint } from '../config/schema.js';
import type { Logger } from '../log.js';
import { defineScripts, runScript, type ScriptName } from './scripts.js';

export interface LockMemberOptions {
  /** A call slower than this counts as not answered. */
  commandTimeoutMs: number;
  /** How long a member that restarted (new run_id) is not counted: one lease ttl (Redlock's rule). */
  ignoreWindowMs: () => number;
  log: Logger;
}

export interface LockMemberHealth {
  label: string;
  reachable: boolean;
  runId: string | undefined;
  runIdChanges: number;
  /** Milliseconds left before this member's answers count again (0 when they count). */
  ignoredForMs: number;
}

/**
 * One lock member: an independent redis-server. Its answers count towards a majority only once its identity
 * (run_id) is known for the current connection and it has not restarted within the last ttl: a member restarted
 * with its data lost could otherwise hand the lease to a second node.
 */
export class LockMember {
  readonly label: string;
  readonly client: Redis;
  private runId: string | undefined;
  private verified = false;
  private ignoredUntil = 0;
  private changes = 0;
  private subscriber: Redis | undefined;

  constructor(
    endpoint: RedisEndpoint,
    private readonly options: LockMemberOptions,
  ) {
    this.label = `${endpoint.host}:${endpoint.port}`;
    this.client = new Redis({
      host: endpoint.host,
      port: endpoint.port,
      password: endpoint.passwordFile ? readFileSync(endpoint.passwordFile, 'utf8').trim() : undefined,
      // Fail fast instead of queueing: a member that is down must count as "no answer" now, not later.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(500, options.commandTimeoutMs * 2),
      retryStrategy: () => 200,
    });
    defineScripts(this.client);
    this.client.on('error', () => undefined); // every failed call is reported where it is made
    this.client.on('close', () => (this.verified = false));
    this.client.on('ready', () => void this.verifyIdentity());
  }

  /** True when this member's answers count towards a majority right now. */
  get counts(): boolean {
    return this.verified && performance.now() >= this.ignoredUntil;
  }

  health(): LockMemberHealth {
    return {
      label: this.label,
      reachable: this.client.status === 'ready',
      runId: this.runId,
      runIdChanges: this.changes,
      ignoredForMs: this.verified ? Math.max(0, Math.ceil(this.ignoredUntil - performance.now())) : Infinity,
    };
  }

  async run(name: ScriptName, keys: string[], args: (string | number)[]) {
    return runScript(this.client, name, keys, args);
  }

  /** Calls onMessage for every message on the channel, over a connection of its own. */
  subscribe(channel: string, onMessage: (message: string) => void): void {
    const subscriber = this.client.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, message: string) => onMessage(message));
    void subscriber.subscribe(channel).catch(() => undefined);
    this.subscriber = subscriber;
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.client.disconnect();
  }

  private async verifyIdentity(): Promise<void> {
    try {
      const info = await this.client.info('server');
      const runId = /run_id:(\w+)/.exec(info)?.[1];
      const uptimeS = Number(/uptime_in_seconds:(\d+)/.exec(info)?.[1] ?? '0');
      if (!runId) return;
      const window = this.options.ignoreWindowMs();
      if (this.runId === undefined) {
        // First sight: a member up for less than a ttl may have restarted just now; count it once a ttl has passed.
        this.ignoredUntil = performance.now() + Math.max(0, window - uptimeS * 1000);
      } else if (this.runId !== runId) {
        this.changes += 1;
        this.ignoredUntil = performance.now() + window;
        this.options.log.warn(
          { member: this.label, previousRunId: this.runId, runId },
          `lock member ${this.label} restarted (new run_id): not counted for ${window} ms`,
        );
      }
      this.runId = runId;
      this.verified = true;
    } catch (error) {
      this.options.log.debug(
        { member: this.label, err: error },
        `could not read the identity of lock member ${this.label}`,
      );
    }
  }
}
