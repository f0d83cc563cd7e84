import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { importPKCS8, SignJWT } from 'jose';
import { Http2Origin } from '../../src/push/http2-origin.js';
import { newJob, type PushJob } from '../../src/push/job.js';
import type { ApnsTarget } from '../../src/push/push-target.js';
import { silentLog } from '../../src/silent-log.js';
import { APNS_ERRORS } from '../helpers/push-emulators/apns-emulator.js';
import { apnsToken, BED, providersFrom, PushBed } from '../helpers/push-emulators/push-bed.js';
import { createTestPki } from '../helpers/push-emulators/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'stg-push-apns-'));
let bed: PushBed;

test.before(async () => {
  bed = await PushBed.start(dir);
});
test.after.always(async () => {
  await bed?.close();
  rmSync(dir, { recursive: true, force: true });
});

let seed = 100;
function apnsJob(overrides: Partial<ApnsTarget> = {}, timeoutMs = 30_000, kind: PushJob['kind'] = 'call'): PushJob {
  const target: ApnsTarget = {
    provider: 'apns',
    environment: 'production',
    teamId: BED.teamId,
    bundle: BED.bundle,
    service: 'voip',
    token: apnsToken((seed += 1)),
    ...overrides,
  };
  return newJob({
    kind,
    aor: '6109*01@sips.example.es',
    instance: '"<urn:uuid:0a0b0c0d-0000-4000-8000-000000000001>"',
    target,
    call: { callId: 'abc@pbx', fromUri: 'sip:200@sips.example.es', displayName: '' },
    timeoutMs,
  });
}
const context = (job: PushJob) => ({ ttlS: (job.deadline - Date.now()) / 1000, now: Date.now(), timeoutMs: 3000 });
const deviceFor = (job: PushJob, emulator = bed.apns) => {
  const target = job.target as ApnsTarget;
  return emulator.device(target.token, target.bundle, target.service);
};

/** A provider token signed by the test itself (any key, any age), for raw requests. */
async function providerToken(keyPem: string, ageS = 0, keyId: string = BED.keyId): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: keyId })
    .setIssuer(BED.teamId)
    .setIssuedAt(Math.floor(Date.now() / 1000) - ageS)
    .sign(await importPKCS8(keyPem, 'ES256'));
}
const teamKey = () => readFileSync(join(dir, `AuthKey_${BED.keyId}.p8`), 'utf8');

async function raw(
  headers: Record<string, string>,
  options: { token?: string; body?: string; tls?: { cert: string; key: string }; ca?: string } = {},
) {
  const origin = new Http2Origin(bed.apns.url, { ca: options.ca ?? bed.pki.ca, ...options.tls }, silentLog);
  try {
    const answer = await origin.request({
      method: 'POST',
      path: `/3/device/${options.token ?? apnsToken(1)}`,
      headers,
      body: options.body ?? '{"aps":{}}',
      timeoutMs: 3000,
    });
    return { status: answer.status, reason: answer.body ? (JSON.parse(answer.body) as { reason: string }).reason : '' };
  } finally {
    await origin.close();
  }
}

test.serial(
  'a well-formed VoIP push with a provider token is accepted; the token and the session are reused',
  async (t) => {
    const { providers } = await providersFrom(bed.configFile);
    t.teardown(() => providers.apns?.close());
    const jobs = [apnsJob(), apnsJob(), apnsJob()];
    const devices = jobs.map((job) => deviceFor(job));
    const sessionsBefore = bed.apns.sessions;
    for (const job of jobs) {
      const result = await providers.apns!.send(job, context(job));
      t.is(result.kind, 'accepted', result.answer);
      t.regex(result.answer, /^200 apns-id=[0-9A-F-]{36}$/);
    }
    const [push] = await devices[0]!.waitForPushes(1);
    t.is(push!.headers['apns-push-type'], 'voip');
    t.is(push!.headers['apns-topic'], `${BED.bundle}.voip`);
    t.is(push!.headers['apns-priority'], '10');
    const expiresIn = Number(push!.headers['apns-expiration']) - Date.now() / 1000;
    t.true(expiresIn > 25 && expiresIn <= 31, `apns-expiration is the call's end (${expiresIn} s from now)`);
    t.like(push!.payload, {
      aps: {
        sound: '',
        'loc-key': 'IC_MSG',
        'loc-args': ['sip:200@sips.example.es'],
        'call-id': 'abc@pbx',
        uuid: '<urn:uuid:0a0b0c0d-0000-4000-8000-000000000001>',
      },
      'from-uri': 'sip:200@sips.example.es',
    });
    t.is(providers.apns!.tokens.signed, 1, 'one provider token for three pushes');
    t.is(bed.apns.sessions - sessionsBefore, 1, 'one HTTP/2 session for three pushes');
  },
);

test.serial("certificate auth: a push for the certificate's app is accepted without a provider token", async (t) => {
  const { providers } = await providersFrom(bed.configFile);
  t.teardown(() => providers.apns?.close());
  const job = apnsJob({ bundle: BED.certBundle });
  const device = deviceFor(job);
  t.is((await providers.apns!.send(job, context(job))).kind, 'accepted');
  const [push] = await device.waitForPushes(1);
  t.is(push!.headers['authorization'], undefined);
  t.is(providers.apns!.tokens.signed, 0);
});

test.serial('the emulator refuses a provider token with a bad signature, and one older than an hour', async (t) => {
  const stranger = bed.writeConfig('push-stranger.yaml', {
    apns: {
      ...(bed.config['apns'] as object),
      tokenKeys: [{ teamId: BED.teamId, keyId: BED.keyId, file: join(dir, 'stranger.p8') }],
    },
  });
  writeFileSync(join(dir, 'stranger.p8'), bed.strangerKeys.ec);
  const bad = await providersFrom(stranger);
  t.teardown(() => bad.providers.apns?.close());
  const job = apnsJob();
  deviceFor(job);
  t.like(await bad.providers.apns!.send(job, context(job)), {
    kind: 'rejected',
    reason: 'auth',
    status: 403,
    answer: '403 InvalidProviderToken',
  });

  // A token issued two hours ago: refused as expired, replaced at once, and the push goes through.
  let skew = -2 * 3600_000;
  const old = await providersFrom(bed.configFile, { now: () => Date.now() + skew });
  t.teardown(() => old.providers.apns?.close());
  t.like(await old.providers.apns!.send(job, context(job)), {
    kind: 'retry',
    status: 403,
    answer: '403 ExpiredProviderToken',
  });
  skew = 0;
  t.is((await old.providers.apns!.send(job, context(job))).kind, 'accepted');
  t.is(old.providers.apns!.tokens.signed, 2);

  // The emulator itself, with raw requests.
  const headers = { 'apns-topic': `${BED.bundle}.voip`, 'apns-push-type': 'voip' };
  const token = (job.target as ApnsTarget).token;
  t.like(await raw({ ...headers, authorization: `bearer ${await providerToken(bed.strangerKeys.ec)}` }, { token }), {
    status: 403,
    reason: 'InvalidProviderToken',
  });
  t.like(await raw({ ...headers, authorization: `bearer ${await providerToken(teamKey(), 3700)}` }, { token }), {
    status: 403,
    reason: 'ExpiredProviderToken',
  });
  t.like(
    await raw({ ...headers, authorization: `bearer ${await providerToken(teamKey(), 0, 'UNKNOWNKEY')}` }, { token }),
    { status: 403, reason: 'InvalidProviderToken' },
  );
  t.like(await raw({ ...headers, authorization: `bearer ${await providerToken(teamKey())}` }, { token }), {
    status: 200,
  });
});

test.serial('a cancelled call goes as an alert to the remote token, never as a VoIP push', async (t) => {
  const { providers } = await providersFrom(bed.configFile);
  t.teardown(() => providers.apns?.close());
  const alert = apnsJob({ service: 'remote' }, 30_000, 'cancel');
  const device = deviceFor(alert);
  const result = await providers.apns!.send(alert, context(alert));
  t.is(result.kind, 'accepted', result.answer);
  const [push] = await device.waitForPushes(1);
  t.is(push!.headers['apns-push-type'], 'alert');
  t.is(push!.headers['apns-topic'], BED.bundle);
  t.like(push!.payload, { aps: { alert: { 'loc-key': 'Missing call' } }, 'call-id': 'abc@pbx' });

  const voip = apnsJob({}, 30_000, 'cancel');
  const voipDevice = deviceFor(voip);
  t.like(await providers.apns!.send(voip, context(voip)), { kind: 'rejected', reason: 'bad-request' });
  t.is(voipDevice.pushes.length, 0, 'nothing reached APNs');
});

test.serial(
  'the emulator refuses a wrong topic or push type, a bad priority, an oversized payload, a token of another app',
  async (t) => {
    const job = apnsJob();
    const token = (job.target as ApnsTarget).token;
    deviceFor(job);
    const authorization = `bearer ${await providerToken(teamKey())}`;
    const voip = { authorization, 'apns-topic': `${BED.bundle}.voip`, 'apns-push-type': 'voip' };
    t.like(await raw({ ...voip, 'apns-topic': BED.bundle }, { token }), { status: 400, reason: 'InvalidPushType' });
    t.like(await raw({ ...voip, 'apns-push-type': 'alert' }, { token }), { status: 400, reason: 'InvalidPushType' });
    t.like(await raw({ ...voip, 'apns-push-type': 'ring' }, { token }), { status: 400, reason: 'InvalidPushType' });
    t.like(await raw({ ...voip, 'apns-topic': 'org.other.app.voip' }, { token }), {
      status: 400,
      reason: 'TopicDisallowed',
    });
    t.like(await raw({ authorization, 'apns-push-type': 'voip' }, { token }), { status: 400, reason: 'MissingTopic' });
    t.like(await raw({ ...voip, 'apns-priority': '7' }, { token }), { status: 400, reason: 'BadPriority' });
    t.like(await raw({ ...voip, 'apns-expiration': 'soon' }, { token }), { status: 400, reason: 'BadExpirationDate' });
    t.like(await raw(voip, { token, body: JSON.stringify({ aps: {}, pad: 'x'.repeat(5200) }) }), {
      status: 413,
      reason: 'PayloadTooLarge',
    });
    t.like(await raw(voip, { token, body: '' }), { status: 400, reason: 'PayloadEmpty' });
    t.like(await raw({ ...voip, 'apns-topic': `${BED.certBundle}.voip` }, { token }), {
      status: 400,
      reason: 'DeviceTokenNotForTopic',
    });
    t.like(await raw(voip, { token: apnsToken(424242) }), { status: 400, reason: 'BadDeviceToken' });
    t.like(await raw(voip, { token: 'zz' }), { status: 400, reason: 'BadDeviceToken' });
    t.like(await raw(voip, { token }), { status: 200 }, 'and the same request done right is accepted');
  },
);

test.serial(
  'the emulator refuses a request with neither token nor certificate, and a certificate of an unknown CA',
  async (t) => {
    const job = apnsJob({ bundle: BED.certBundle });
    const token = (job.target as ApnsTarget).token;
    deviceFor(job);
    const headers = { 'apns-topic': `${BED.certBundle}.voip`, 'apns-push-type': 'voip' };
    t.like(await raw(headers, { token }), { status: 403, reason: 'MissingProviderToken' });
    const foreign = createTestPki(join(dir, 'foreign-pki'), 'some other CA').issueClient(BED.certBundle);
    t.like(await raw(headers, { token, tls: foreign }), { status: 403, reason: 'BadCertificate' });
    const other = bed.pki.issueClient(BED.bundle, 'other-app');
    t.like(await raw(headers, { token, tls: other }), { status: 400, reason: 'TopicDisallowed' });
    const own = bed.pki.issueClient(BED.certBundle, 'own-app');
    t.like(await raw(headers, { token, tls: own }), { status: 200 });
  },
);

test.serial('apns.dev goes to the sandbox; a sandbox token is unknown to production', async (t) => {
  const { providers } = await providersFrom(bed.configFile);
  t.teardown(() => providers.apns?.close());
  const job = apnsJob({ environment: 'sandbox' });
  const device = deviceFor(job, bed.apnsSandbox);
  t.is((await providers.apns!.send(job, context(job))).kind, 'accepted');
  await device.waitForPushes(1);
  const production = { ...job, target: { ...(job.target as ApnsTarget), environment: 'production' as const } };
  t.like(await providers.apns!.send(production, context(production)), {
    kind: 'invalid-token',
    answer: '400 BadDeviceToken',
  });
});

test.serial('after a GOAWAY the next push opens a new session', async (t) => {
  const { providers } = await providersFrom(bed.configFile);
  t.teardown(() => providers.apns?.close());
  const [first, second] = [apnsJob(), apnsJob()];
  deviceFor(first!);
  deviceFor(second!);
  bed.apns.goAwayAfterNext();
  t.is((await providers.apns!.send(first!, context(first!))).kind, 'accepted');
  t.is((await providers.apns!.send(second!, context(second!))).kind, 'accepted');
  t.is(providers.apns!.originFor(first!.target as ApnsTarget)!.origin.opened, 2);
});

test.serial(
  'APNs answers are classified: unregistered, rate limited with Retry-After, server errors; a remote-only app gets an alert',
  async (t) => {
    const { providers } = await providersFrom(bed.configFile);
    t.teardown(() => providers.apns?.close());
    const job = apnsJob();
    const device = deviceFor(job);
    bed.apns.failNext(1, APNS_ERRORS.TooManyRequests(3));
    t.like(await providers.apns!.send(job, context(job)), { kind: 'retry', status: 429, afterMs: 3000 });
    bed.apns.failNext(1, APNS_ERRORS.ServiceUnavailable);
    t.like(await providers.apns!.send(job, context(job)), { kind: 'retry', status: 503 });
    bed.apns.failNext(1, APNS_ERRORS.InternalServerError);
    t.like(await providers.apns!.send(job, context(job)), { kind: 'retry', status: 500 });
    device.unregister();
    t.like(await providers.apns!.send(job, context(job)), {
      kind: 'invalid-token',
      status: 410,
      answer: '410 Unregistered',
    });

    const remote = apnsJob({ service: 'remote' });
    const phone = deviceFor(remote);
    t.is((await providers.apns!.send(remote, context(remote))).kind, 'accepted');
    const [push] = await phone.waitForPushes(1);
    t.is(push!.headers['apns-push-type'], 'alert');
    t.is(push!.headers['apns-topic'], BED.bundle);
    t.like(push!.payload, { aps: { alert: { 'loc-key': 'IC_MSG' } }, 'call-id': 'abc@pbx' });
  },
);
