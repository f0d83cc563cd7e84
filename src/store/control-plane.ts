import { NoQuorumError, majorityOf } from '../errors.js';
import type { RedisEndpoint } from '../config/schema.js';
import type { Logger } from '../log.js';
import { ControlPlaneKeys } from './keys.js';
import { LockMember } from './lock-member.js';

export type MemberAnswer<T> =
  | { member: LockMember; counted: boolean; ok: true; value: T }
  | { member: LockMember; counted: boolean; ok: false; error: Error };

/** A control-plane value with the term of the leader that wrote it and its version. */
export interface Versioned<T> {
  term: number;
  version: number;
  value: T;
}

export interface ControlPlaneOptions {
  cluster: string;
  commandTimeoutMs: number;
  ignoreWindowMs: () => number;
  log: Logger;
}

/**
 * The lock members as one store: every call goes to all members at once and a result counts only with a majority
 * of the configured members (not of those that answered). Single writer (the fenced leader) plus majority reads
 * and writes; no replication between members.
 */
export class ControlPlane {
  readonly keys: ControlPlaneKeys;
  readonly members: readonly LockMember[];
  readonly majority: number;

  constructor(endpoints: readonly RedisEndpoint[], options: ControlPlaneOptions) {
    this.keys = new ControlPlaneKeys(options.cluster);
    this.members = endpoints.map((endpoint) => new LockMember(endpoint, options));
    this.majority = majorityOf(endpoints.length);
  }

  get total(): number {
    return this.members.length;
  }

  /** Runs the call on every member in parallel; never throws, each answer says whether it counts. */
  async onAll<T>(call: (member: LockMember) => Promise<T>): Promise<MemberAnswer<T>[]> {
    return Promise.all(
      this.members.map(async (member): Promise<MemberAnswer<T>> => {
        try {
          const value = await call(member);
          return { member, counted: member.counts, ok: true, value };
        } catch (error) {
          return { member, counted: member.counts, ok: false, error: error as Error };
        }
      }),
    );
  }

  /**
   * Like onAll, but resolves as soon as a majority of counted members answered and `enough` holds for their
   * values (by default: any answers): a member that is down or cut off costs a full command timeout otherwise, on
   * every call of every tick. The slower calls still run to their end; their answers are dropped.
   */
  async onMajority<T>(
    call: (member: LockMember) => Promise<T>,
    enough: (values: T[]) => boolean = () => true,
  ): Promise<MemberAnswer<T>[]> {
    return new Promise((resolve) => {
      const answers: MemberAnswer<T>[] = [];
      let done = false;
      const settle = (answer: MemberAnswer<T>) => {
        if (done) return;
        answers.push(answer);
        const counted = answers.filter((entry) => entry.ok && entry.counted) as { value: T }[];
        const values = counted.map((entry) => entry.value);
        if (answers.length === this.members.length || (counted.length >= this.majority && enough(values))) {
          done = true;
          resolve(answers);
        }
      };
      for (const member of this.members) {
        call(member).then(
          (value) => settle({ member, counted: member.counts, ok: true, value }),
          (error: unknown) => settle({ member, counted: member.counts, ok: false, error: error as Error }),
        );
      }
    });
  }

  /** The answers that count; throws NoQuorumError when fewer than a majority answered. */
  requireMajority<T>(operation: string, answers: MemberAnswer<T>[]): { member: LockMember; value: T }[] {
    const counted = answers.filter((answer) => answer.ok && answer.counted) as { member: LockMember; value: T }[];
    if (counted.length < this.majority) throw new NoQuorumError(operation, counted.length, this.total);
    return counted;
  }

  /**
   * A leader's write, fenced by its term on every member. Resolves with the number of members that stored it;
   * throws NoQuorumError when fewer than a majority did.
   */
  async fencedWrite(key: string, term: number, version: number, value: unknown, mode: 'set' | 'create' = 'set') {
    const answers = await this.onMajority(
      (member) => member.run('fencedWrite', [this.keys.fence, key], [term, version, JSON.stringify(value), mode]),
      (replies) => replies.filter((reply) => (reply as number[])[0] === 1).length >= this.majority,
    );
    const results = this.requireMajority(`write of ${key}`, answers).map(({ value: reply }) => (reply as number[])[0]);
    const written = results.filter((code) => code === 1).length;
    const refused = results.filter((code) => code === -2).length;
    return { written, refused, unchanged: results.length - written - refused };
  }

  /** The highest (term, version) of a versioned value on a majority, without the value; undefined when absent. */
  async readVersion(key: string): Promise<{ term: number; version: number } | undefined> {
    const answers = await this.onMajority((member) => member.client.hmget(key, 'term', 'version'));
    let best: { term: number; version: number } | undefined;
    for (const { value: fields } of this.requireMajority(`read of ${key}`, answers)) {
      const [term, version] = fields;
      if (term === null || term === undefined || version === null || version === undefined) continue;
      const candidate = { term: Number(term), version: Number(version) };
      if (!best || candidate.term > best.term || (candidate.term === best.term && candidate.version > best.version)) {
        best = candidate;
      }
    }
    return best;
  }

  /** Reads a versioned value from a majority and keeps the highest (term, version); undefined when absent. */
  async readVersioned<T>(key: string): Promise<Versioned<T> | undefined> {
    const answers = await this.onMajority((member) => member.client.hmget(key, 'term', 'version', 'value'));
    let best: Versioned<T> | undefined;
    for (const { value: fields } of this.requireMajority(`read of ${key}`, answers)) {
      const [term, version, raw] = fields;
      if (
        term === null ||
        term === undefined ||
        version === null ||
        version === undefined ||
        raw === null ||
        raw === undefined
      )
        continue;
      const candidate = { term: Number(term), version: Number(version), value: JSON.parse(raw) as T };
      if (!best || candidate.term > best.term || (candidate.term === best.term && candidate.version > best.version)) {
        best = candidate;
      }
    }
    return best;
  }

  /**
   * An operator's document write (not fenced): last writer wins by version. Resolves with the number of members
   * that stored it; throws NoQuorumError when fewer than a majority answered.
   */
  async versionedSet(key: string, version: number, value: unknown): Promise<number> {
    const answers = await this.onMajority((member) =>
      member.run('versionedSet', [key], [version, JSON.stringify(value)]),
    );
    return this.requireMajority(`write of ${key}`, answers).filter(({ value: code }) => code === 1).length;
  }

  /** Reads an operator document from a majority and keeps the highest version; undefined when absent. */
  async readLatest<T>(key: string): Promise<{ version: number; value: T } | undefined> {
    const answers = await this.onMajority((member) => member.client.hmget(key, 'version', 'value'));
    let best: { version: number; value: T } | undefined;
    for (const { value: fields } of this.requireMajority(`read of ${key}`, answers)) {
      const [version, raw] = fields;
      if (version === null || version === undefined || raw === null || raw === undefined) continue;
      if (!best || Number(version) > best.version) best = { version: Number(version), value: JSON.parse(raw) as T };
    }
    return best;
  }

  /** Wakes every agent at once (each member publishes on the wake channel). */
  async wakeAgents(reason: string): Promise<void> {
    await this.onAll((member) => member.client.publish(this.keys.wakeChannel, reason));
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((member) => member.close()));
  }
}
