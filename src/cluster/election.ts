import { performance } from 'node:perf_hooks';
import { LeaseLostError } from '../errors.js';
import type { Timings } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { ControlPlane } from '../store/control-plane.js';
import { observeLease, parseMemberLease, type LeaseObservation } from './lease-observation.js';

/** The leadership this agent holds, bounded by its own monotonic clock. */
export interface Leadership {
  term: number;
  /** Monotonic time (performance.now()) after which this agent no longer believes it leads. */
  until: number;
}

export interface CampaignOutcome {
  won: boolean;
  term: number;
  granted: number;
  /** Why it was lost, in words, when it was. */
  reason?: string;
  /** The highest fence a refusing member reported (a retry must go above it). */
  fence: number;
}

export interface RenewOutcome {
  reached: number;
  /** A majority said a newer term exists or the lease is someone else's: leadership is over now. */
  deposed: boolean;
}

/**
 * The leader lease with terms (ARCHITECTURE.md "Leader election"): our own Lua on every lock member, a result
 * counting only with a majority and only inside the lease validity, the term agreed on that same majority.
 * Leadership is bounded locally from the send time of the last renew that reached a majority:
 * until = sentAt + ttl * (1 - drift) - pauseAllowance, which is before any member can let another node in.
 */
export class Election {
  private leadership: Leadership | undefined;

  constructor(
    private readonly plane: ControlPlane,
    readonly node: string,
    /** Random per agent process: a restarted agent is a new instance and never resumes the lease it had. */
    readonly instance: string,
    private readonly timings: () => Timings,
    private readonly log: Logger,
  ) {}

  /** The current leadership, or undefined once the local bound has passed (checked at every call). */
  leading(): Leadership | undefined {
    if (this.leadership && performance.now() >= this.leadership.until) return undefined;
    return this.leadership;
  }

  /** Whether this agent led until its bound passed and has not yet stepped down (the loop does that). */
  get lapsed(): boolean {
    return this.leadership !== undefined && this.leading() === undefined;
  }

  get heldTerm(): number | undefined {
    return this.leadership?.term;
  }

  /** The term to act with; throws LeaseLostError when the bound has passed. Call it right before each side effect. */
  assertLeading(): number {
    const leadership = this.leading();
    if (!leadership) throw new LeaseLostError(`leadership of ${this.node} ended (local bound passed)`);
    return leadership.term;
  }

  async observe(): Promise<LeaseObservation> {
    const keys = this.plane.keys;
    const answers = await this.plane.onMajority((member) =>
      member.run('readLease', [keys.lease, keys.fence, keys.handoff, keys.definition], []),
    );
    return observeLease(answers.map(parseMemberLease), this.plane.total, this.plane.majority);
  }

  /** Tries to take the lease for `term`. On a loss, frees whatever members granted it, so nobody waits a ttl. */
  async campaign(term: number): Promise<CampaignOutcome> {
    const { leaseTtlMs } = this.timings();
    const keys = this.plane.keys;
    const sentAt = performance.now();
    // A won majority is enough; a lost one waits for every answer, to free whatever was granted.
    const answers = await this.plane.onMajority(
      (member) =>
        member.run(
          'acquireLease',
          [keys.lease, keys.fence, keys.handoff],
          [this.node, term, this.instance, leaseTtlMs],
        ),
      (replies) => replies.filter((reply) => (reply as [number, number])[0] === 1).length >= this.plane.majority,
    );
    const replies = answers.map((answer) => (answer.ok ? (answer.value as [number, number]) : undefined));
    const granted = answers.filter((answer, index) => answer.counted && replies[index]?.[0] === 1).length;
    const fence = Math.max(0, ...replies.map((reply) => reply?.[1] ?? 0));
    const until = this.boundFrom(sentAt);
    if (granted >= this.plane.majority && performance.now() < until) {
      this.leadership = { term, until };
      return { won: true, term, granted, fence };
    }
    if (replies.some((reply) => reply?.[0] === 1)) await this.releaseOn(term, '');
    const codes = replies.map((reply) => reply?.[0]);
    const reason =
      granted >= this.plane.majority
        ? `acquire took longer than the lease validity`
        : codes.includes(-2)
          ? `term ${term} is not above the fence (${fence})`
          : codes.includes(-3)
            ? 'the lease was handed to another node'
            : codes.includes(-1)
              ? 'the lease is held'
              : 'members did not answer';
    return { won: false, term, granted, reason, fence };
  }

  /** Extends the lease on every member; moves the local bound only when a majority renewed. */
  async renew(): Promise<RenewOutcome> {
    const leadership = this.leadership;
    if (!leadership) return { reached: 0, deposed: true };
    const { leaseTtlMs } = this.timings();
    const keys = this.plane.keys;
    const sentAt = performance.now();
    const answers = await this.plane.onMajority(
      (member) =>
        member.run(
          'renewLease',
          [keys.lease, keys.fence, keys.handoff],
          [this.node, leadership.term, this.instance, leaseTtlMs],
        ),
      (replies) => replies.filter((reply) => (reply as [number, number])[0] > 0).length >= this.plane.majority,
    );
    const codes = answers.map((answer) => (answer.ok && answer.counted ? (answer.value as [number, number])[0] : 0));
    const reached = codes.filter((code) => code > 0).length;
    const refused = codes.filter((code) => code < 0).length;
    if (reached >= this.plane.majority && this.leadership === leadership) {
      leadership.until = Math.max(leadership.until, this.boundFrom(sentAt));
    }
    return { reached, deposed: refused >= this.plane.majority };
  }

  /**
   * Gives up leadership: forgets it locally first (no leader action may follow), then releases the lease on every
   * member, naming the successor that gets the first turn. Returns the number of members that released it.
   */
  async release(successor: string | undefined): Promise<number> {
    const term = this.leadership?.term;
    this.leadership = undefined;
    if (term === undefined) return 0;
    return this.releaseOn(term, successor ?? '');
  }

  /** Forgets leadership without touching the members (they let the lease expire). */
  forget(): void {
    this.leadership = undefined;
  }

  private async releaseOn(term: number, successor: string): Promise<number> {
    const keys = this.plane.keys;
    const handoffTtl = this.timings().leaseTtlMs;
    const answers = await this.plane.onAll((member) =>
      member.run(
        'releaseLease',
        [keys.lease, keys.handoff, keys.wakeChannel],
        [this.node, term, successor, handoffTtl],
      ),
    );
    const released = answers.filter((answer) => answer.ok && answer.value === 1).length;
    this.log.debug({ term, successor, released }, `released the lease of term ${term} on ${released} member(s)`);
    return released;
  }

  private boundFrom(sentAt: number): number {
    const { leaseTtlMs, clockDrift, pauseAllowanceMs } = this.timings();
    return sentAt + leaseTtlMs * (1 - clockDrift) - pauseAllowanceMs;
  }
}
