import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { SignJWT, importPKCS8 } from 'jose';
import { Http2Origin } from '../../src/push/http2-origin.js';
import { newJob, type PushJob } from '../../src/push/job.js';
import type { FcmTarget } from '../../src/push/push-target.js';
import { silentLog } from '../../src/silent-log.js';
import { FCM_ERRORS } from '../helpers/push-emulators/fcm-emulator.js';
import { BED, fcmToken, providersFrom, PushBed, writeServiceAccount } from '../helpers/push-emulators/push-bed.js';

const dir = mkdtempSync(join(tmpdir(), 'stg-push-fcm-'));
let bed: PushBed;

test.before(async () => {
  bed = await PushBed.start(dir);
});
test.after.always(async () => {
  await bed?.close();
  rmSync(dir, { recursive: true, force: true });
});

let seed = 0;
function fcmJob(token = fcmToken((seed += 1)), timeoutMs = 30_000): PushJob {
  const target: FcmTarget = { provider: 'fcm', project: BED.fcmProject, token };
  return newJob({
    kind: 'call',
    aor: '40004*01@sips.example.es',
    instance: '"<urn:uuid:f39520e5-83ef-005c-b7e8-989617e6d730>"',
    target,
    call: { callId: 'call-1@pbx', fromUri: 'sip:100@sips.example.es', displayName: 'Reception' },
    timeoutMs,
  });
}
const context = (job: PushJob) => ({ ttlS: (job.deadline - Date.now()) / 1000, now: Date.now(), timeoutMs: 3000 });

/** A raw HTTP/2 client to the emulator, to check it refuses what FCM refuses whatever our provider would send. */
async function rawSend(body: unknown, bearer: string, project: string = BED.fcmProjectId) {
  const origin = new Http2Origin(bed.fcm.url, { ca: bed.pki.ca }, silentLog);
  try {
    const answer = await origin.request({
      method: 'POST',
      path: `/v1/projects/${project}/messages:send`,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: 3000,
    });
    return { status: answer.status, body: JSON.parse(answer.body) as { error?: { status: string; message: string } } };
  } finally {
    await origin.close();
  }
}

test.serial(
  'a well-formed push is accepted: data-only, priority high, ttl = time left, the keys Linphone reads',
  async (t) => {
    const { providers } = await providersFrom(bed.configFile);
    t.teardown(() => providers.fcm?.close());
    const job = fcmJob();
    const device = bed.fcm.device(job.target.token, BED.fcmProjectId);
    const sessionsBefore = bed.fcm.sessions;
    const tokenRequestsBefore = bed.fcm.tokenRequests;

    const result = await providers.fcm!.send(job, context(job));
    t.is(result.kind, 'accepted', result.answer);
    t.regex(result.answer, /^200 projects\/stg-test-project\/messages\//);
    const [push] = await device.waitForPushes(1);
    const message = push!.payload as { token: string; notification?: unknown; android: Record<string, unknown> };
    t.is(message.token, job.target.token);
    t.is(message.notification, undefined, 'data-only: no notification block');
    t.is(message.android['priority'], 'high');
    const ttl = Number(/^(\d+)s$/.exec(String(message.android['ttl']))?.[1]);
    t.true(ttl > 25 && ttl <= 30, `ttl ${String(message.android['ttl'])} is the call time left`);
    t.deepEqual(Object.keys(message.android['data'] as object).sort(), [
      'call-id',
      'custom-payload',
      'display-name',
      'from-uri',
      'loc-args',
      'loc-key',
      'send-time',
      'sip-from',
      'uuid',
    ]);
    t.like(message.android['data'], {
      uuid: '<urn:uuid:f39520e5-83ef-005c-b7e8-989617e6d730>',
      'call-id': 'call-1@pbx',
      'loc-key': 'IC_MSG',
      'sip-from': 'Reception',
    });

    // Two more: the access token is cached and the HTTP/2 session reused.
    for (const next of [fcmJob(), fcmJob()]) {
      bed.fcm.device(next.target.token, BED.fcmProjectId);
      t.is((await providers.fcm!.send(next, context(next))).kind, 'accepted');
    }
    t.is(bed.fcm.tokenRequests - tokenRequestsBefore, 1, 'one token exchange for three sends');
    t.is(bed.fcm.sessions - sessionsBefore, 2, 'one session to the send endpoint and one to the token endpoint');
  },
);

test.serial(
  'the emulator refuses an assertion with a bad signature; the provider reports an auth failure',
  async (t) => {
    const file = writeServiceAccount(dir, 'stranger.json', bed.strangerKeys.rsa, bed.fcm.tokenUri);
    const config = bed.writeConfig('push-stranger.yaml', {
      fcm: { baseUrl: bed.fcm.url, caFile: bed.pki.caFile, serviceAccounts: [{ project: BED.fcmProject, file }] },
    });
    const { providers } = await providersFrom(config);
    t.teardown(() => providers.fcm?.close());
    const job = fcmJob();
    bed.fcm.device(job.target.token, BED.fcmProjectId);
    const result = await providers.fcm!.send(job, context(job));
    t.like(result, { kind: 'rejected', reason: 'auth', status: 400 });
    t.regex(result.answer, /invalid_grant Invalid JWT Signature/);
  },
);

test.serial(
  'the emulator refuses an expired assertion, and an expired access token until a new one is fetched',
  async (t) => {
    // An assertion issued two hours ago (the provider's clock says so).
    const old = await providersFrom(bed.configFile, { now: () => Date.now() - 2 * 3600_000 });
    t.teardown(() => old.providers.fcm?.close());
    const job = fcmJob();
    bed.fcm.device(job.target.token, BED.fcmProjectId);
    const refused = await old.providers.fcm!.send(job, context(job));
    t.like(refused, { kind: 'rejected', reason: 'auth' });
    t.regex(refused.answer, /short-lived token/);

    const { providers } = await providersFrom(bed.configFile);
    t.teardown(() => providers.fcm?.close());
    t.is((await providers.fcm!.send(job, context(job))).kind, 'accepted');
    const token = await providers.fcm!.tokenSource(BED.fcmProject)!.token();
    bed.fcm.expireAccessTokens();
    // The emulator itself: an expired bearer token is refused.
    const raw = await rawSend({ message: { token: job.target.token } }, token.ok ? token.token : '');
    t.is(raw.status, 401);
    t.is(raw.body.error?.status, 'UNAUTHENTICATED');
    // The provider: one retryable 401, after which a new token is fetched and the push goes through.
    const exchanges = bed.fcm.tokenRequests;
    t.like(await providers.fcm!.send(job, context(job)), { kind: 'retry', status: 401 });
    t.is((await providers.fcm!.send(job, context(job))).kind, 'accepted');
    t.is(bed.fcm.tokenRequests - exchanges, 1);
  },
);

test.serial('the emulator refuses a malformed message: shape, types, priority, ttl, size, project', async (t) => {
  const { providers } = await providersFrom(bed.configFile);
  t.teardown(() => providers.fcm?.close());
  const token = await providers.fcm!.tokenSource(BED.fcmProject)!.token();
  const bearer = token.ok ? token.token : '';
  const device = fcmToken(999);
  bed.fcm.device(device, BED.fcmProjectId);
  const bad = [
    { message: { token: device, android: { priority: 'urgent' } } },
    { message: { token: device, android: { ttl: '30' } } },
    { message: { token: device, android: { data: { 'call-id': 42 } } } },
    { message: { token: device, android: { data: { blob: 'x'.repeat(5000) } } } },
    { message: { token: device, topic: 'news' } },
    { message: { token: device, extra: true } },
    { message: { token: device }, sent: 'now' },
  ];
  for (const body of bad) {
    const answer = await rawSend(body, bearer);
    t.is(answer.status, 400, JSON.stringify(body).slice(0, 80));
    t.is(answer.body.error?.status, 'INVALID_ARGUMENT');
  }
  t.is((await rawSend({ message: { token: device } }, bearer, 'another-project')).status, 403, 'wrong project');
  t.is((await rawSend({ message: { token: device, android: { priority: 'high', ttl: '30s' } } }, bearer)).status, 200);
});

test.serial(
  'FCM errors are classified: unregistered and invalid tokens, quota with Retry-After, unavailable',
  async (t) => {
    const { providers } = await providersFrom(bed.configFile);
    t.teardown(() => providers.fcm?.close());
    const unknown = fcmJob();
    t.like(await providers.fcm!.send(unknown, context(unknown)), { kind: 'invalid-token', status: 404 });
    const malformed = fcmJob('not a token');
    t.like(await providers.fcm!.send(malformed, context(malformed)), { kind: 'invalid-token', status: 400 });
    const job = fcmJob();
    bed.fcm.device(job.target.token, BED.fcmProjectId);
    bed.fcm.failNext(1, FCM_ERRORS.QUOTA_EXCEEDED(7));
    t.like(await providers.fcm!.send(job, context(job)), { kind: 'retry', status: 429, afterMs: 7000 });
    bed.fcm.failNext(1, FCM_ERRORS.UNAVAILABLE);
    t.like(await providers.fcm!.send(job, context(job)), { kind: 'retry', status: 503 });
    t.is((await providers.fcm!.send(job, context(job))).kind, 'accepted');
  },
);

test.serial('a send for a project without a service account fails without a request', async (t) => {
  const { providers } = await providersFrom(bed.configFile);
  t.teardown(() => providers.fcm?.close());
  const job = { ...fcmJob(), target: { provider: 'fcm' as const, project: '123', token: fcmToken(5) } };
  const before = bed.fcm.sendRequests;
  t.like(await providers.fcm!.send(job, context(job)), { kind: 'rejected', reason: 'no-credentials' });
  t.is(bed.fcm.sendRequests, before);
});

test.serial("the token endpoint itself refuses an assertion signed with a key other than the account's", async (t) => {
  const { providers } = await providersFrom(bed.configFile);
  t.teardown(() => providers.fcm?.close());
  t.true((await providers.fcm!.tokenSource(BED.fcmProject)!.token()).ok);
  const stranger = await importPKCS8(bed.strangerKeys.rsa, 'RS256');
  const assertion = await new SignJWT({ scope: 'https://www.googleapis.com/auth/firebase.messaging' })
    .setProtectedHeader({ alg: 'RS256', kid: BED.privateKeyId })
    .setIssuer(BED.clientEmail)
    .setAudience(bed.fcm.tokenUri)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(stranger);
  const origin = new Http2Origin(bed.fcm.url, { ca: bed.pki.ca }, silentLog);
  t.teardown(() => origin.close());
  const answer = await origin.request({
    method: 'POST',
    path: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
    timeoutMs: 3000,
  });
  t.is(answer.status, 400, 'signed with a key the emulator does not know for that kid');
  t.is((JSON.parse(answer.body) as { error: string }).error, 'invalid_grant');
});

test.serial('an access token is replaced refreshBeforeExpiryS before it expires, not before', async (t) => {
  // The provider's clock starts 400 s behind: tokens live 600 s, so the refresh is due at clock + 300 s.
  bed.fcm.tokenLifetimeS = 600;
  t.teardown(() => (bed.fcm.tokenLifetimeS = 3599));
  let offset = -400_000;
  const { providers } = await providersFrom(bed.configFile, { now: () => Date.now() + offset });
  t.teardown(() => providers.fcm?.close());
  const source = providers.fcm!.tokenSource(BED.fcmProject)!;
  const first = await source.token();
  offset = -400_000 + 290_000;
  t.deepEqual(await source.token(), first, '10 s before the refresh point: the cached token');
  offset = -400_000 + 301_000;
  const second = await source.token();
  t.true(second.ok && first.ok && second.token !== first.token, 'past it: a new token');
  t.is(source.exchanges, 2);
});
