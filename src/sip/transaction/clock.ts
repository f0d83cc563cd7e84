/** A timer that can be stopped before it fires. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Time for the transactions and the proxy: the milliseconds now, and timers. Injected so that unit tests run a
 * 32-second Timer B in no time with a fake clock; the process uses `systemClock`.
 */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Calls `fire` once after `ms` milliseconds unless cancelled. */
  setTimer(ms: number, fire: () => void): TimerHandle;
}

/**
 * The real clock: performance.now() and setTimeout (unref'd: pending SIP timers never keep a stopping process up).
 * The handle is the Timeout itself with a shared `cancel`: a busy proxy holds hundreds of thousands of timers, and a
 * wrapper object with a closure for each would double what they cost.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fire) {
    const timer = setTimeout(fire, ms) as NodeJS.Timeout & TimerHandle;
    timer.unref();
    timer.cancel = cancelTimeout;
    return timer;
  },
};

function cancelTimeout(this: NodeJS.Timeout): void {
  clearTimeout(this);
}

/**
 * A copy of a string that shares no memory with the text it was cut from. V8 keeps a substring as a slice of its
 * parent: a Call-ID kept by a transaction for 32 s would keep the whole message head with it.
 */
export function detached(text: string): string {
  return ` ${text}`.slice(1);
}
