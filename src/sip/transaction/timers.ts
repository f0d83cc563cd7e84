/**
 * The base timer values of RFC 3261 section 17 (table 4): T1 (round-trip estimate), T2 (longest retransmit
 * interval for non-INVITE requests and INVITE responses), T4 (longest time a message stays in the network). Every
 * other timer derives from them; tests shrink them (config `proxy.timers`) or use a fake clock.
 */
export interface TimerSettings {
  readonly t1Ms: number;
  readonly t2Ms: number;
  readonly t4Ms: number;
}

export const DEFAULT_TIMERS: TimerSettings = Object.freeze({ t1Ms: 500, t2Ms: 4000, t4Ms: 5000 });

/** Timers B, F, H, J, L, M: 64*T1, how long a transaction may wait for its peer (32 s by default). */
export function transactionTimeout(timers: TimerSettings): number {
  return 64 * timers.t1Ms;
}

/**
 * Timer D: how long a completed INVITE client transaction absorbs retransmitted final responses (at least 32 s over
 * UDP; 0 over a reliable transport, which never retransmits).
 */
export function timerD(timers: TimerSettings, reliable: boolean): number {
  return reliable ? 0 : Math.max(32_000, transactionTimeout(timers)) * scaleOf(timers);
}

/** Timers I and K: T4 over UDP (absorb stray retransmissions), 0 over TCP. */
export function timerT4(timers: TimerSettings, reliable: boolean): number {
  return reliable ? 0 : timers.t4Ms;
}

/** Timer J: 64*T1 over UDP, 0 over TCP. */
export function timerJ(timers: TimerSettings, reliable: boolean): number {
  return reliable ? 0 : transactionTimeout(timers);
}

/**
 * Timer D's "32 s" is a fixed figure in the RFC, not a multiple of T1; tests that shrink T1 to a few milliseconds
 * must not keep every completed transaction for 32 s, so D shrinks in the same proportion as T1.
 */
function scaleOf(timers: TimerSettings): number {
  return Math.min(1, timers.t1Ms / DEFAULT_TIMERS.t1Ms);
}
