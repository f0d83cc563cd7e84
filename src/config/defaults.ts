/**
 * The product's promise at default settings. The timing relation of ARCHITECTURE.md holds for these values:
 * 2000 >= 1000 + 250 + 200 + 300 + 0.01 * 2000 (= 1770). Tune them with the benchmarks, not by guessing.
 */
export const DEFAULT_TIMINGS = {
  /** How long a lease lives on a lock member after the renew that reached it. */
  leaseTtlMs: 2000,
  /** How often the agent ticks; the leader renews on every tick. */
  renewIntervalMs: 200,
  /** How long one call to a lock member may take before it counts as not answered. */
  renewTimeoutMs: 200,
  /** The event-loop or GC pause the leader tolerates; a longer one makes it step down. */
  pauseAllowanceMs: 300,
  /** Allowed clock-rate difference between the hosts (Redlock's drift factor). */
  clockDrift: 0.01,
  /** The floating VIP's kernel address lifetime, whole seconds. */
  kernelLifetimeS: 1,
  /** A node whose heartbeat is older than this is offline. */
  heartbeatTtlMs: 3000,
  /** The wait between two candidates of consecutive rank, so one wins without a vote split. */
  rankDelayMs: 150,
} as const;

/**
 * The documented faster profile: it shrinks only pauseAllowanceMs (ARCHITECTURE.md: a faster profile may shrink
 * nothing else), so it tolerates event-loop or GC pauses of at most 100 ms, and the lease may be 1600 ms:
 * 1600 >= 1000 + 250 + 200 + 100 + 0.01 * 1600 (= 1566). Put these two values in the definition's timings.
 */
export const FAST_PROFILE_TIMINGS = { ...DEFAULT_TIMINGS, pauseAllowanceMs: 100, leaseTtlMs: 1600 } as const;

/** The margin the kernel needs beyond the address lifetime to drop it (measured here: 1.03-1.07 s for 1 s). */
export const KERNEL_LIFETIME_SLACK_MS = 250;

export const DEFAULT_HTTP_PORT = 8401;
