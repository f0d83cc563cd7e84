import type { Redis } from 'ioredis';
import { newJob, type PushJob } from '../../push/job.js';
import type { PushKeys } from '../../push/keys.js';
import { pushDestinations, targetFor, type PushTarget } from '../../push/push-target.js';
import { enqueuePush } from '../../push/queue.js';
import type { SipRequest, SipUri } from '../message/index.js';

/** What a push job needs from a sleeping contact. */
export interface PushableContact {
  readonly uri: SipUri;
  /** The binding's key in `fs:<aor>` (its +sip.instance, quotes kept): the job names the device with it. */
  readonly key: string;
}

/**
 * The push target of a contact, from its URI's push parameters (RFC 8599 or legacy, mapped as Flexisip does in
 * src/push/push-target.ts), or why it has none. A message cannot use an APNs VoIP-only token.
 */
export function pushTargetOf(
  uri: SipUri,
  purpose: 'call' | 'message',
): { ok: true; value: PushTarget } | { ok: false; error: string } {
  const params = new Map<string, string>();
  for (const { name } of uri.params) {
    const key = name.toLowerCase();
    if (!params.has(key)) params.set(key, uri.param(key) ?? '');
  }
  const destinations = pushDestinations(params);
  if (!destinations.ok) return destinations;
  return targetFor(destinations.value, purpose);
}

/**
 * The target of the "call cancelled" push for a contact pushed for a call, or why there is none. It is a visible
 * notification: FCM's data push, or APNs' remote (alert) token; never a VoIP push, which must report a new call.
 */
export function cancelTargetOf(uri: SipUri): { ok: true; value: PushTarget } | { ok: false; error: string } {
  const target = pushTargetOf(uri, 'message');
  if (target.ok) return target;
  return { ok: false, error: 'the app registered only a VoIP token: a cancelled call cannot be announced' };
}

/**
 * The "call cancelled" job: the same Call-ID and caller as the call's push, the device's `pn-missing-call-str` (or
 * Flexisip's default) as the text. It stays useful as long as the call would have rung.
 */
export function cancelJobFor(
  aor: string,
  contact: PushableContact,
  target: PushTarget,
  request: SipRequest,
  timeoutMs: number,
): PushJob {
  const text = decoded(contact.uri.param('pn-missing-call-str'));
  const call = { ...callOf(request), ...(text ? { locKey: text } : {}) };
  return newJob({ kind: 'cancel', aor, instance: contact.key, target, call, timeoutMs });
}

/** The job that wakes one device for one request: the caller and the Call-ID the app matches the INVITE with. */
export function jobFor(
  aor: string,
  contact: PushableContact,
  target: PushTarget,
  request: SipRequest,
  timeoutMs: number,
): PushJob {
  const kind = request.method === 'MESSAGE' ? 'message' : 'call';
  return newJob({ kind, aor, instance: contact.key, target, call: callOf(request), timeoutMs });
}

/** What the app shows and matches the request with: its Call-ID and caller. */
function callOf(request: SipRequest): { callId: string; fromUri: string; displayName: string } {
  const from = request.from();
  return { callId: request.callId(), fromUri: from.uri.toString(), displayName: from.display ?? '' };
}

/** Queues a job on the workers' stream (src/push/queue.ts); the proxy never talks to a provider itself. */
export async function queueJob(redis: Redis, keys: PushKeys, job: PushJob): Promise<void> {
  await enqueuePush(redis, keys, job);
}

/** A URI parameter's text (`Missed%20call`): undefined when absent, empty or not valid percent-encoding. */
function decoded(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
