import type { Redis } from 'ioredis';
import type { PushKeys } from './keys.js';

/**
 * The consumer group's pending lists, as the worker's sweep uses them: which held jobs are still ours, extending
 * them, taking over the idle jobs of dead workers, and forgetting long-dead consumers. Plain stream commands, no
 * script: each is atomic on its own, and the races between them only ever cause a second send (see worker.ts).
 */
export class PendingJobs {
  constructor(
    private readonly redis: Redis,
    private readonly keys: PushKeys,
    private readonly group: string,
    private readonly consumer: string,
  ) {}

  /** Of `ids`, those still in this consumer's pending list (a job taken over while we were frozen is not). */
  async stillOurs(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const pending = (await this.redis.xpending(
      this.keys.jobs,
      this.group,
      '-',
      '+',
      ids.length + 100,
      this.consumer,
    )) as [string, string, number, number][];
    return new Set(pending.map(([id]) => id));
  }

  /** Resets the idle time of jobs we hold (XCLAIM to ourselves; JUSTID leaves their delivery count alone). */
  async extend(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.xclaim(this.keys.jobs, this.group, this.consumer, 0, ...ids, 'JUSTID');
  }

  /**
   * Takes over up to `count` jobs idle for at least `minIdleMs`, from `cursor` (start with '0-0'). Returns the next
   * cursor ('0-0' when the scan is complete) and the jobs with how many times they were delivered, this one
   * included. Entries deleted meanwhile are left out (Redis drops them from the pending list itself).
   */
  async claimIdle(
    minIdleMs: number,
    count: number,
    cursor: string,
  ): Promise<{ next: string; jobs: { entryId: string; fields: string[]; deliveries: number }[] }> {
    const [next, entries] = (await this.redis.xautoclaim(
      this.keys.jobs,
      this.group,
      this.consumer,
      minIdleMs,
      cursor,
      'COUNT',
      count,
    )) as [string, [string, string[] | null][], string[]];
    const jobs = [];
    for (const [entryId, fields] of entries) {
      if (!fields) continue;
      const info = (await this.redis.xpending(this.keys.jobs, this.group, entryId, entryId, 1)) as [
        string,
        string,
        number,
        number,
      ][];
      jobs.push({ entryId, fields, deliveries: info[0]?.[3] ?? 2 });
    }
    return { next, jobs };
  }

  /** Removes consumers (other than us) with nothing pending that have been idle longer than `idleMs`. */
  async forgetIdleConsumers(idleMs: number): Promise<string[]> {
    const rows = (await this.redis.call('XINFO', 'CONSUMERS', this.keys.jobs, this.group)) as unknown[][];
    const forgotten: string[] = [];
    for (const row of rows) {
      const info = new Map<string, unknown>();
      for (let index = 0; index + 1 < row.length; index += 2) info.set(String(row[index]), row[index + 1]);
      const name = String(info.get('name'));
      if (name !== this.consumer && Number(info.get('pending')) === 0 && Number(info.get('idle')) > idleMs) {
        await this.redis.xgroup('DELCONSUMER', this.keys.jobs, this.group, name);
        forgotten.push(name);
      }
    }
    return forgotten;
  }
}
