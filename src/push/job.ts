import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { PushTarget } from './push-target.js';

/**
 * A push job as it travels through the data Redis: one JSON field of a stream entry. Whoever queues it (the proxy,
 * `clusterctl push test`) says whom to wake and why; the worker adds nothing to it. A job read back is checked
 * against this schema: the stream is input like any other, and a bad entry fails its job, not the worker.
 */
const fcmTarget = z.strictObject({ provider: z.literal('fcm'), project: z.string().min(1), token: z.string().min(1) });
const apnsTarget = z.strictObject({
  provider: z.literal('apns'),
  environment: z.enum(['production', 'sandbox']),
  teamId: z.string().min(1),
  bundle: z.string().min(1),
  service: z.enum(['voip', 'remote']),
  token: z.string().min(1),
});

export const pushJobSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  /**
   * call: an INVITE waits for the device; message: a MESSAGE does; test: `clusterctl push test` (sent as a call);
   * cancel: the caller cancelled a call the device was pushed for (a visible "missed call", never a VoIP push).
   */
  kind: z.enum(['call', 'message', 'test', 'cancel']),
  /** The address of record (`user@host`) and the binding's key in `fs:<aor>` (its +sip.instance, quotes kept). */
  aor: z.string().min(1),
  instance: z.string().min(1),
  target: z.discriminatedUnion('provider', [fcmTarget, apnsTarget]),
  /** What the app shows and matches against the INVITE that follows (Linphone reads these keys). */
  call: z.strictObject({
    callId: z.string(),
    fromUri: z.string(),
    displayName: z.string(),
    /**
     * The alert's localisation key: IC_MSG for a call, IM_MSG for a message (Linphone's defaults); for a cancel,
     * the device's `pn-missing-call-str` or Flexisip's default "Missing call".
     */
    locKey: z.string(),
  }),
  /** Wall-clock milliseconds: when it was queued, and when it stops being useful (queued + call timeout). */
  queuedAt: z.number(),
  deadline: z.number(),
});

export type PushJob = z.infer<typeof pushJobSchema>;

/** Field names inside a job stream entry. */
export const JOB_FIELD = 'job';

export interface NewJob {
  kind: PushJob['kind'];
  aor: string;
  instance: string;
  target: PushTarget;
  call: { callId: string; fromUri: string; displayName?: string; locKey?: string };
  /** How long the push is useful: the call (fork) timeout. Also its time-to-live at the provider. */
  timeoutMs: number;
  now?: number;
}

/** Linphone's keys for a call and a message; Flexisip's default text for a cancelled call. */
const DEFAULT_LOC_KEYS: Record<PushJob['kind'], string> = {
  call: 'IC_MSG',
  test: 'IC_MSG',
  message: 'IM_MSG',
  cancel: 'Missing call',
};

export function newJob(input: NewJob): PushJob {
  const queuedAt = input.now ?? Date.now();
  return {
    id: randomUUID(),
    kind: input.kind,
    aor: input.aor,
    instance: input.instance,
    target: input.target,
    call: {
      callId: input.call.callId,
      fromUri: input.call.fromUri,
      displayName: input.call.displayName ?? '',
      locKey: input.call.locKey ?? DEFAULT_LOC_KEYS[input.kind],
    },
    queuedAt,
    deadline: queuedAt + input.timeoutMs,
  };
}

export type ParsedJob = { ok: true; job: PushJob } | { ok: false; error: string; id?: string };

/** A job from its stream entry's fields (a flat [name, value, ...] list as Redis returns it). */
export function parseJobEntry(fields: readonly string[] | null): ParsedJob {
  const index = fields ? fields.findIndex((value, at) => at % 2 === 0 && value === JOB_FIELD) : -1;
  const text = index >= 0 ? fields?.[index + 1] : undefined;
  if (text === undefined) return { ok: false, error: `the entry has no "${JOB_FIELD}" field` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: 'the job is not valid JSON' };
  }
  const result = pushJobSchema.safeParse(raw);
  if (result.success) return { ok: true, job: result.data };
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  const issue = result.error.issues[0];
  return {
    ok: false,
    error: `the job is malformed: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown'}`,
    id: typeof id === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(id) ? id : undefined,
  };
}
