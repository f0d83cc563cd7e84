import test from 'ava';
import { classifyApnsAnswer } from '../../../src/push/apns/apns-provider.js';
import { classifyFcmAnswer } from '../../../src/push/fcm/fcm-provider.js';

const fcm = (status: number, error?: object, headers: Record<string, string> = {}) =>
  classifyFcmAnswer({ status, headers, body: error ? JSON.stringify({ error }) : '{"name":"projects/p/messages/1"}' });
const fcmError = (code: number, status: string, errorCode?: string, message = '', extra: object[] = []) => ({
  code,
  status,
  message,
  details: [
    ...(errorCode ? [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] : []),
    ...extra,
  ],
});

test('FCM: success, dead tokens, bad requests, auth, quota and outages', (t) => {
  t.like(fcm(200), { kind: 'accepted', answer: '200 projects/p/messages/1' });
  t.like(fcm(404, fcmError(404, 'NOT_FOUND', 'UNREGISTERED', 'Requested entity was not found.')), {
    kind: 'invalid-token',
    answer: '404 UNREGISTERED Requested entity was not found.',
  });
  t.like(
    fcm(
      400,
      fcmError(
        400,
        'INVALID_ARGUMENT',
        'INVALID_ARGUMENT',
        'The registration token is not a valid FCM registration token',
      ),
    ),
    { kind: 'invalid-token' },
  );
  const badField = [
    { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'message.android.ttl' }] },
  ];
  t.like(fcm(400, fcmError(400, 'INVALID_ARGUMENT', undefined, 'Invalid value', badField)), {
    kind: 'rejected',
    reason: 'bad-request',
  });
  const badToken = [
    { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'message.token' }] },
  ];
  t.like(fcm(400, fcmError(400, 'INVALID_ARGUMENT', undefined, 'Invalid value', badToken)), { kind: 'invalid-token' });
  t.like(fcm(401, fcmError(401, 'UNAUTHENTICATED')), { kind: 'retry', afterMs: 0 });
  t.like(fcm(401, fcmError(401, 'UNAUTHENTICATED', 'THIRD_PARTY_AUTH_ERROR')), { kind: 'rejected', reason: 'auth' });
  t.like(fcm(403, fcmError(403, 'PERMISSION_DENIED', 'SENDER_ID_MISMATCH')), { kind: 'rejected', reason: 'auth' });
  t.like(fcm(429, fcmError(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED'), { 'retry-after': '12' }), {
    kind: 'retry',
    afterMs: 12_000,
  });
  t.like(fcm(503, fcmError(503, 'UNAVAILABLE', 'UNAVAILABLE')), { kind: 'retry', afterMs: undefined });
  t.like(fcm(500, fcmError(500, 'INTERNAL', 'INTERNAL')), { kind: 'retry' });
  t.like(classifyFcmAnswer({ status: 502, headers: {}, body: '<html>Bad Gateway</html>' }), {
    kind: 'retry',
    status: 502,
  });
});

const apns = (status: number, reason?: string, headers: Record<string, string> = {}) =>
  classifyApnsAnswer({ status, headers, body: reason ? JSON.stringify({ reason }) : '' });

test('APNs: success, dead tokens, stale and refused credentials, rate limits and outages', (t) => {
  t.like(apns(200, undefined, { 'apns-id': 'A-1' }), { kind: 'accepted', answer: '200 apns-id=A-1' });
  for (const [status, reason] of [
    [410, 'Unregistered'],
    [410, 'ExpiredToken'],
    [400, 'BadDeviceToken'],
  ] as const) {
    t.like(apns(status, reason), { kind: 'invalid-token', answer: `${status} ${reason}` });
  }
  t.like(apns(403, 'ExpiredProviderToken'), { kind: 'retry', afterMs: 0 });
  for (const reason of [
    'InvalidProviderToken',
    'MissingProviderToken',
    'BadCertificate',
    'BadCertificateEnvironment',
    'Forbidden',
  ]) {
    t.like(apns(403, reason), { kind: 'rejected', reason: 'auth' });
  }
  t.like(apns(429, 'TooManyRequests', { 'retry-after': '2' }), { kind: 'retry', afterMs: 2000 });
  t.like(apns(429, 'TooManyProviderTokenUpdates'), { kind: 'retry' });
  t.like(apns(500, 'InternalServerError'), { kind: 'retry' });
  t.like(apns(503, 'Shutdown'), { kind: 'retry' });
  for (const reason of ['BadTopic', 'TopicDisallowed', 'InvalidPushType', 'DeviceTokenNotForTopic', 'BadPriority']) {
    t.like(apns(400, reason), { kind: 'rejected', reason: 'bad-request' });
  }
  t.like(apns(413, 'PayloadTooLarge'), { kind: 'rejected', reason: 'bad-request' });
});
