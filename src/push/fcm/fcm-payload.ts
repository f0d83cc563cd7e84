import { sendTime } from '../answer-text.js';
import type { PushJob } from '../job.js';

/** FCM refuses a ttl above four weeks. */
export const FCM_MAX_TTL_S = 28 * 24 * 3600;
/** FCM's limit on a message's data (keys and values) for a token target. */
export const FCM_MAX_DATA_BYTES = 4096;

/**
 * The FCM HTTP v1 request body for a job, as Flexisip sends it and Linphone's Android app reads it: a data-only
 * message (no `notification` block: the app must be woken to handle the call itself, not shown a banner),
 * `android.priority` high (so Doze lets it through at once), `android.ttl` the time the call still rings, and the
 * data keys uuid, from-uri, display-name, call-id, sip-from, loc-key, loc-args, send-time, custom-payload (every
 * value a string, as FCM requires).
 */
export function fcmMessage(job: PushJob, ttlS: number, now: number): { message: Record<string, unknown> } {
  const from = job.call.displayName || job.call.fromUri;
  return {
    message: {
      token: job.target.token,
      android: {
        priority: 'high',
        ttl: `${Math.max(0, Math.min(FCM_MAX_TTL_S, Math.floor(ttlS)))}s`,
        data: {
          uuid: unquote(job.instance),
          'from-uri': job.call.fromUri,
          'display-name': job.call.displayName,
          'call-id': job.call.callId,
          'sip-from': from,
          'loc-key': job.call.locKey,
          'loc-args': from,
          'send-time': sendTime(now),
          'custom-payload': '{}',
        },
      },
    },
  };
}

/** The size FCM counts against its limit: every data key and value, in bytes. */
export function fcmDataBytes(data: Record<string, string>): number {
  return Object.entries(data).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
}

/** The +sip.instance as Linphone compares it: without the quotes the hash field keeps (`<urn:uuid:...>`). */
export function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
