import type { Clock, TimerHandle } from './clock.js';

/**
 * A transaction's two timers (RFC 3261 17): the retransmission timer (A, E, G: each firing sets the next) and the
 * timer that ends the current state (B, D, F, H, I, J, K...). Setting one replaces the previous of its kind.
 */
export class StateTimers {
  private repeat: TimerHandle | undefined;
  private ending: TimerHandle | undefined;

  constructor(private readonly clock: Clock) {}

  /** Sets the state's ending timer, or with `repeating` the retransmission timer; ms 0 ends after this event. */
  after(ms: number, fire: () => void, repeating = false): void {
    if (ms <= 0) {
      // A zero timer (reliable transport) still ends the transaction after the current event, not inside it.
      queueMicrotask(fire);
      return;
    }
    const handle = this.clock.setTimer(ms, fire);
    if (repeating) {
      this.repeat?.cancel();
      this.repeat = handle;
    } else {
      this.ending?.cancel();
      this.ending = handle;
    }
  }

  cancel(): void {
    this.repeat?.cancel();
    this.ending?.cancel();
    this.repeat = this.ending = undefined;
  }
}
