import type { TimerHandle } from '../transaction/index.js';
import type { LiveContact } from './contact-lookup.js';

/** A binding as the registrar's lookup gives it: the proxy's LiveContact plus what tells two registrations apart. */
export interface WakeContact extends LiveContact {
  /** The hash field in `fs:<aor>` (+sip.instance, pn-tok, line or fs-gen-): what the AOR channel publishes. */
  readonly field?: string | undefined;
  readonly callId?: string | undefined;
  readonly cseq?: number | undefined;
  readonly updatedAt?: number | undefined;
}

/** One forwarding to a registration of a device (live at the start, or woken). */
export class WokenBranch {
  forwarding: { cancel(): void } | undefined;
  contact: WakeContact | undefined;
  /** The device answered with more than 100 Trying: it is alerting on this flow. */
  alerting = false;
  done = false;
  /** Replaced by a newer registration of the same device, or the wait ended: its answers are dropped. */
  stale = false;
  pushTimer: TimerHandle | undefined;

  constructor(
    readonly key: string,
    /** Tells this registration from a later one of the same device (a new flow, a new REGISTER). */
    readonly signature: string,
  ) {}

  stopTimer(): void {
    this.pushTimer?.cancel();
    this.pushTimer = undefined;
  }
}

export const keyOf = (contact: WakeContact): string => contact.field ?? contact.instance ?? contact.uri.toString();
export const signatureOf = (contact: WakeContact): string =>
  [contact.connectionId ?? '', contact.callId ?? '', contact.cseq ?? '', contact.updatedAt ?? '', contact.uri].join(
    '|',
  );
