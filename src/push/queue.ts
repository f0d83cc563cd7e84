import type { Redis } from 'ioredis';
import { JOB_FIELD, type PushJob } from './job.js';
import type { PushKeys } from './keys.js';

/**
 * The producer side of the push queue: a job is one entry of the jobs stream, read by the workers' consumer
 * group. Why Redis streams rather than BullMQ: the data Redis and ioredis are already here, a consumer group gives
 * exactly the needed semantics (blocking reads, a pending list per consumer, XAUTOCLAIM of entries a dead worker
 * held) in a handful of commands an operator can inspect with redis-cli, and no dependency is added. BullMQ would
 * bring delayed jobs and rate limiting we do not need (retries of a push are short and stay inside its deadline).
 */
export async function enqueuePush(redis: Redis, keys: PushKeys, job: PushJob): Promise<string> {
  const id = await redis.xadd(keys.jobs, '*', JOB_FIELD, JSON.stringify(job));
  if (!id) throw new Error('XADD returned no id');
  return id;
}

/**
 * Creates the consumer group if it does not exist. It starts at the beginning of the stream, so jobs queued before
 * the first worker ever started are not skipped. MKSTREAM creates the stream for a group made before any job.
 */
export async function ensureGroup(redis: Redis, keys: PushKeys, group: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', keys.jobs, group, '0', 'MKSTREAM');
  } catch (error) {
    if (!/BUSYGROUP/.test((error as Error).message)) throw error;
  }
}
