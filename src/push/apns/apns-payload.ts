import { sendTime } from '../answer-text.js';
import { unquote } from '../fcm/fcm-payload.js';
import type { PushJob } from '../job.js';
import type { ApnsTarget } from '../push-target.js';

/** APNs payload limits: 5 KB for VoIP pushes, 4 KB for the others. */
export const APNS_MAX_VOIP_BYTES = 5120;
export const APNS_MAX_BYTES = 4096;

/**
 * The APNs JSON payload, shaped as Flexisip's (apple-request.cc) so Linphone's iOS app reads it: for a VoIP push
 * the call details sit in `aps` with an empty sound (PushKit pushes show nothing; the app reports the call to
 * CallKit), for a remote (alert) push `aps.alert` carries the localised text and a sound, with the call details
 * beside `aps`. `pn_ttl` tells the app how long the call rings.
 */
export function apnsPayload(job: PushJob, target: ApnsTarget, ttlS: number, now: number): Record<string, unknown> {
  const from = job.call.displayName || job.call.fromUri;
  const uuid = unquote(job.instance);
  const common = {
    'from-uri': job.call.fromUri,
    'display-name': job.call.displayName,
    pn_ttl: Math.floor(ttlS),
    customPayload: {},
  };
  if (target.service === 'voip') {
    return {
      aps: {
        sound: '',
        'loc-key': job.call.locKey,
        'loc-args': [from],
        'call-id': job.call.callId,
        uuid,
        'send-time': sendTime(now),
      },
      ...common,
    };
  }
  return {
    aps: { alert: { 'loc-key': job.call.locKey, 'loc-args': [from] }, sound: 'default', badge: 1 },
    'call-id': job.call.callId,
    uuid,
    'send-time': sendTime(now),
    ...common,
  };
}

export function apnsPayloadLimit(target: ApnsTarget): number {
  return target.service === 'voip' ? APNS_MAX_VOIP_BYTES : APNS_MAX_BYTES;
}
