import test from 'ava';
import { apnsPayload } from '../../../src/push/apns/apns-payload.js';
import { sendTime } from '../../../src/push/answer-text.js';
import { retryDelayMs, parseRetryAfter } from '../../../src/push/backoff.js';
import { fcmDataBytes, fcmMessage } from '../../../src/push/fcm/fcm-payload.js';
import { newJob, parseJobEntry } from '../../../src/push/job.js';
import type { ApnsTarget } from '../../../src/push/push-target.js';

const target: ApnsTarget = {
  provider: 'apns',
  environment: 'production',
  teamId: 'T',
  bundle: 'org.app',
  service: 'voip',
  token: 'ab',
};
const job = newJob({
  kind: 'call',
  aor: 'u@h',
  instance: '"<urn:uuid:1>"',
  target,
  call: { callId: 'c1', fromUri: 'sip:a@h', displayName: 'Alice' },
  timeoutMs: 90_000,
  now: Date.UTC(2026, 0, 2, 3, 4, 5),
});

test('send-time is UTC "YYYY-MM-DD HH:MM:SS"', (t) => {
  t.is(sendTime(Date.UTC(2026, 0, 2, 3, 4, 5)), '2026-01-02 03:04:05');
});

test('FCM: ttl whole seconds capped at four weeks; every data value a string', (t) => {
  const body = fcmMessage({ ...job, target: { provider: 'fcm', project: 'p', token: 'tok' } }, 89.7, job.queuedAt);
  const android = body.message['android'] as { ttl: string; data: Record<string, unknown> };
  t.is(android.ttl, '89s');
  t.true(Object.values(android.data).every((value) => typeof value === 'string'));
  t.like(android.data, {
    'display-name': 'Alice',
    'sip-from': 'Alice',
    'loc-args': 'Alice',
    uuid: '<urn:uuid:1>',
    'send-time': '2026-01-02 03:04:05',
  });
  t.is((fcmMessage(job, 1e9, 0).message['android'] as { ttl: string }).ttl, '2419200s');
  t.is(fcmDataBytes({ ab: 'cd', é: 'x' }), 7);
});

test('APNs: the VoIP payload carries the call in aps; the alert payload beside it', (t) => {
  t.deepEqual(apnsPayload(job, target, 30, job.queuedAt), {
    aps: {
      sound: '',
      'loc-key': 'IC_MSG',
      'loc-args': ['Alice'],
      'call-id': 'c1',
      uuid: '<urn:uuid:1>',
      'send-time': '2026-01-02 03:04:05',
    },
    'from-uri': 'sip:a@h',
    'display-name': 'Alice',
    pn_ttl: 30,
    customPayload: {},
  });
  t.like(apnsPayload(job, { ...target, service: 'remote' }, 30, job.queuedAt), {
    aps: { alert: { 'loc-key': 'IC_MSG', 'loc-args': ['Alice'] }, sound: 'default' },
    'call-id': 'c1',
  });
});

test('backoff doubles with jitter up to the cap; Retry-After is a floor', (t) => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
  t.is(
    retryDelayMs(1, policy, undefined, () => 0),
    50,
  );
  t.is(
    retryDelayMs(1, policy, undefined, () => 1),
    100,
  );
  t.is(
    retryDelayMs(3, policy, undefined, () => 1),
    400,
  );
  t.is(
    retryDelayMs(10, policy, undefined, () => 1),
    1000,
  );
  t.is(
    retryDelayMs(1, policy, 5000, () => 1),
    5000,
  );
  t.is(parseRetryAfter('7'), 7000);
  t.is(parseRetryAfter(['3']), 3000);
  t.is(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
  t.is(parseRetryAfter(new Date(0).toUTCString(), 4000), 0);
  t.is(parseRetryAfter('soon'), undefined);
  t.is(parseRetryAfter(undefined), undefined);
});

test('a job entry is checked: missing field, bad JSON, wrong shape (with its id when readable)', (t) => {
  t.like(parseJobEntry(['job', JSON.stringify(job)]), {
    ok: true,
    job: { id: job.id, deadline: job.queuedAt + 90_000 },
  });
  t.like(parseJobEntry(['other', 'x']), { ok: false, error: 'the entry has no "job" field' });
  t.like(parseJobEntry(null), { ok: false });
  t.like(parseJobEntry(['job', '{']), { ok: false, error: 'the job is not valid JSON' });
  const wrong = parseJobEntry(['job', JSON.stringify({ ...job, kind: 'fax' })]);
  t.like(wrong, { ok: false, id: job.id });
  t.regex(wrong.ok ? '' : wrong.error, /^the job is malformed: kind: /);
  t.like(parseJobEntry(['job', JSON.stringify({ ...job, id: 'bad id!' })]), { ok: false, id: undefined });
});
