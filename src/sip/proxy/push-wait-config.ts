import { z } from 'zod';
import { strictObject, wholeInRange as whole } from '../../config/zod-rules.js';

/*
 * The `pushWait:` section of the proxy's YAML file (src/sip/config.ts hooks it in): how long a call or a message
 * waits for a device woken by a push, what the caller is told meanwhile, and how many may wait at once. Every field
 * is checked; each problem names the field and what was expected.
 */

const provisional = strictObject({
  status: whole(101, 199, 'a provisional status'),
  reason: z.string().regex(/^[\x20-\x7e]{1,64}$/, 'a reason phrase of 1-64 printable ASCII characters'),
});

export const pushWaitSchema = strictObject({
  /** Off: a sleeping device's caller gets 480 at once, as without push. */
  enabled: z.boolean('true or false').optional(),
  /** How long an INVITE waits for the device (Flexisip's call-fork-timeout, 90 s). Also the push's deadline. */
  callTimeoutMs: whole(100, 600_000, 'milliseconds').optional(),
  /** How long a MESSAGE waits: below the sender's Timer F (32 s), or it gives up first. */
  messageTimeoutMs: whole(100, 600_000, 'milliseconds').optional(),
  /** A live flow that gives no provisional within this time (a dead flow not noticed yet) is pushed too. */
  pushAfterMs: whole(0, 600_000, 'milliseconds').optional(),
  /** Sent once to the caller when the push is queued (INVITE only); false: nothing. */
  provisional: z.union([provisional, z.literal(false)], '{ status, reason } or false').optional(),
  /**
   * A `180 Ringing` to the caller when a call's push is alert-style (an APNs remote token: the app shows a
   * notification, nothing rings) and no device rings yet, as Flexisip does; false: none (old Linphone < 4.2 choked
   * on self-generated provisionals, hence Flexisip's permit-self-generated-provisional-response).
   */
  fakeRinging: z.boolean('true or false').optional(),
  /** Requests waiting at once; beyond, 503 with Retry-After. */
  maxPending: whole(1, 1_000_000, 'a count').optional(),
  retryAfterS: whole(1, 3600, 'seconds').optional(),
  /** The push queue's key prefix: the push workers' `queue.prefix`. */
  queuePrefix: z
    .string()
    .regex(/^[A-Za-z0-9:_{}.-]{1,64}$/, 'a key prefix of 1-64 letters, digits or : _ { } . -')
    .optional(),
  /** How often the pending count is logged while it changes (and once when it returns to 0). */
  statsIntervalMs: whole(100, 3_600_000, 'milliseconds').optional(),
});

export type PushWaitConfig = z.infer<typeof pushWaitSchema>;

export interface PushWaitSettings {
  readonly enabled: boolean;
  readonly callTimeoutMs: number;
  readonly messageTimeoutMs: number;
  readonly pushAfterMs: number;
  readonly provisional: { readonly status: number; readonly reason: string } | false;
  readonly fakeRinging: boolean;
  readonly maxPending: number;
  readonly retryAfterS: number;
  readonly queuePrefix: string;
  readonly statsIntervalMs: number;
}

export const DEFAULT_PUSH_WAIT: PushWaitSettings = Object.freeze({
  enabled: true,
  callTimeoutMs: 90_000,
  messageTimeoutMs: 30_000,
  pushAfterMs: 5_000,
  provisional: Object.freeze({ status: 110, reason: 'Push sent' }),
  fakeRinging: true,
  maxPending: 10_000,
  retryAfterS: 5,
  queuePrefix: 'stg:push',
  statsIntervalMs: 10_000,
});

export function pushWaitSettings(config: PushWaitConfig | undefined): PushWaitSettings {
  const given = config ?? {};
  return Object.freeze({
    enabled: given.enabled ?? DEFAULT_PUSH_WAIT.enabled,
    callTimeoutMs: given.callTimeoutMs ?? DEFAULT_PUSH_WAIT.callTimeoutMs,
    messageTimeoutMs: given.messageTimeoutMs ?? DEFAULT_PUSH_WAIT.messageTimeoutMs,
    pushAfterMs: given.pushAfterMs ?? DEFAULT_PUSH_WAIT.pushAfterMs,
    provisional: given.provisional ?? DEFAULT_PUSH_WAIT.provisional,
    fakeRinging: given.fakeRinging ?? DEFAULT_PUSH_WAIT.fakeRinging,
    maxPending: given.maxPending ?? DEFAULT_PUSH_WAIT.maxPending,
    retryAfterS: given.retryAfterS ?? DEFAULT_PUSH_WAIT.retryAfterS,
    queuePrefix: given.queuePrefix ?? DEFAULT_PUSH_WAIT.queuePrefix,
    statsIntervalMs: given.statsIntervalMs ?? DEFAULT_PUSH_WAIT.statsIntervalMs,
  });
}
