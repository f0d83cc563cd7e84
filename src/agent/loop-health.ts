import { performance } from 'node:perf_hooks';

/** How late the loop ran and whether wall time jumped against monotonic time, since the previous sample. */
export interface LoopHealthSample {
  /** The longest event-loop stall seen since the last sample (a GC pause, a SIGSTOP, a busy callback). */
  lagMs: number;
  /** How far wall time moved against monotonic time (a host suspend or a clock step); 0 when steady. */
  clockJumpMs: number;
}

/** Jumps smaller than this are the two clocks' normal noise and slewing. */
const CLOCK_JUMP_TOLERANCE_MS = 500;
const PROBE_INTERVAL_MS = 50;

/**
 * Measures event-loop lag with a probe timer of its own: a timer that fires late by X ms means the loop could not
 * run for X ms. (The tick itself is a bad probe: it waits on lock members, which is not lag.)
 */
export class LoopHealth {
  private readonly probe: NodeJS.Timeout;
  private lastProbeAt = performance.now();
  private maxLagMs = 0;
  private offset = LoopHealth.wallMinusMono();

  constructor() {
    this.probe = setInterval(() => this.onProbe(), PROBE_INTERVAL_MS);
    this.probe.unref();
  }

  sample(): LoopHealthSample {
    this.onProbe(); // a stall still in progress up to now counts too
    const lagMs = Math.round(this.maxLagMs);
    this.maxLagMs = 0;
    const offset = LoopHealth.wallMinusMono();
    const drift = offset - this.offset;
    this.offset = offset;
    return { lagMs, clockJumpMs: Math.abs(drift) > CLOCK_JUMP_TOLERANCE_MS ? Math.round(drift) : 0 };
  }

  close(): void {
    clearInterval(this.probe);
  }

  private onProbe(): void {
    const now = performance.now();
    this.maxLagMs = Math.max(this.maxLagMs, now - this.lastProbeAt - PROBE_INTERVAL_MS);
    this.lastProbeAt = now;
  }

  private static wallMinusMono(): number {
    return Date.now() - performance.now();
  }
}
