import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import { PushKeys } from '../../push/keys.js';
import type { DataStoreConfig } from '../registrar/config.js';
import { systemClock } from '../transaction/index.js';
import type { WakeSources } from './pending-fork.js';
import { queueJob } from './push-jobs.js';
import { pushWaitSettings, type PushWaitConfig } from './push-wait-config.js';
import { PushWaits } from './push-wait.js';

export interface RunningPushWaits {
  readonly waits: PushWaits;
  close(): Promise<void>;
}

/**
 * The push hook of a proxy process: pushes are queued on the workers' stream in the data Redis (a connection of its
 * own, so that a slow XADD never delays a REGISTER's script), wake-ups are heard on the registrar's subscriber.
 * Undefined when `pushWait.enabled` is false.
 */
export function startPushWaits(options: {
  readonly config: PushWaitConfig | undefined;
  readonly dataStore: DataStoreConfig;
  readonly sources: WakeSources;
  readonly log: Logger;
}): RunningPushWaits | undefined {
  const settings = pushWaitSettings(options.config);
  if (!settings.enabled) return undefined;
  const { dataStore, log } = options;
  const password = dataStore.passwordFile ? readFileSync(dataStore.passwordFile, 'utf8').trim() : undefined;
  const redis = new Redis({
    host: dataStore.host,
    port: dataStore.port,
    password,
    db: dataStore.db ?? 0,
    connectionName: 'stg-sip-proxy:push-jobs',
    enableAutoPipelining: true,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(1000, 50 * times),
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    log.warn({ err: error }, `data Redis (push jobs): ${error.message}`);
  });
  redis.on('ready', () => {
    down = false;
  });
  const keys = new PushKeys(settings.queuePrefix);
  const waits = new PushWaits(settings, options.sources, (job) => queueJob(redis, keys, job), systemClock, log);
  log.info(
    {
      pushWait: {
        callTimeoutMs: settings.callTimeoutMs,
        messageTimeoutMs: settings.messageTimeoutMs,
        maxPending: settings.maxPending,
        queuePrefix: settings.queuePrefix,
        provisional: settings.provisional,
      },
    },
    'push wait ready',
  );
  return {
    waits,
    close: async () => {
      waits.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
