import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { stringify } from 'yaml';
import { loadPushConfig, parsePushConfig } from '../../../src/push/config.js';
import { loadCredentials } from '../../../src/push/credentials.js';
import { ConfigError } from '../../../src/errors.js';

const minimal = { fcm: { serviceAccounts: [{ project: '917288118967', file: 'sa.json' }] } };

function problems(raw: unknown): string[] {
  try {
    parsePushConfig(raw, '/etc/stg-cluster/push.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem) => `${problem.path}: ${problem.expected}`);
    throw error;
  }
  return [];
}

test('defaults fill everything but the providers; paths resolve against the file', (t) => {
  const config = parsePushConfig(minimal, '/etc/stg-cluster/push.yaml');
  t.like(config, {
    queue: { prefix: 'stg:push', group: 'push-workers', concurrency: 32, visibilityTimeoutMs: 5000, maxDeliveries: 5 },
    retry: { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5000 },
    metrics: { address: '127.0.0.1', port: 9465 },
    fcm: { baseUrl: 'https://fcm.googleapis.com', refreshBeforeExpiryS: 300 },
  });
  t.is(config.fcm?.serviceAccounts[0]?.file, '/etc/stg-cluster/sa.json');
  t.is(config.apns, undefined);
});

test('every problem is reported at once, each naming its field', (t) => {
  const found = problems({
    queue: { concurrency: 0, visibilityTimeoutMs: 'fast', colour: 'blue' },
    retry: { baseDelayMs: 9000, maxDelayMs: 1000 },
    fcm: { baseUrl: 'http://fcm.example', serviceAccounts: [] },
    apns: { tokenKeys: [{ teamId: 'abc', keyId: 'KEY1234567', file: '' }], tokenRefreshMinutes: 90 },
  });
  const has = (pattern: RegExp) =>
    t.true(
      found.some((line) => pattern.test(line)),
      `${pattern} in\n${found.join('\n')}`,
    );
  has(/^queue\.concurrency: at least 1$/);
  has(/^queue\.visibilityTimeoutMs: /);
  has(/^queue\.colour: a known key \(prefix, group/);
  has(/^retry\.baseDelayMs: at most retry\.maxDelayMs \(1000\)$/);
  has(/^fcm\.baseUrl: an https:\/\/ URL/);
  has(/^fcm\.serviceAccounts: at least one service account$/);
  has(/^apns\.tokenKeys\[0\]\.teamId: a 10-character Apple identifier/);
  has(/^apns\.tokenKeys\[0\]\.file: a file path$/);
  has(/^apns\.tokenRefreshMinutes: at most 55$/);
});

test('a configuration without any provider, or APNs without credentials, is refused', (t) => {
  t.deepEqual(problems({}), [': at least one provider (fcm or apns)']);
  t.deepEqual(problems({ apns: {} }), ['apns: at least one entry in tokenKeys or certificates']);
});

test('credentials: unreadable, malformed and mismatched files are named by their field', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stg-push-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  writeFileSync(join(dir, 'not-json.json'), 'private_key: nope');
  writeFileSync(
    join(dir, 'partial.json'),
    JSON.stringify({ type: 'service_account', project_id: 'p', private_key: rsa }),
  );
  writeFileSync(
    join(dir, 'ok.json'),
    JSON.stringify({
      type: 'service_account',
      project_id: 'p',
      private_key_id: 'k',
      private_key: rsa,
      client_email: 'a@p.iam.gserviceaccount.com',
    }),
  );
  writeFileSync(join(dir, 'rsa.p8'), rsa);
  const file = join(dir, 'push.yaml');
  writeFileSync(
    file,
    stringify({
      fcm: {
        serviceAccounts: [
          { project: '1', file: 'missing.json' },
          { project: '2', file: 'not-json.json' },
          { project: '3', file: 'partial.json' },
          { project: '4', file: 'ok.json' },
        ],
      },
      apns: { tokenKeys: [{ teamId: 'TEAM123456', keyId: 'KEY1234567', file: 'rsa.p8' }] },
    }),
  );
  const config = loadPushConfig(file);
  const error = await t.throwsAsync(loadCredentials(config, file), { instanceOf: ConfigError });
  const lines = (error as ConfigError).problems.map((problem) => `${problem.path}: ${problem.expected}`);
  t.deepEqual(lines, [
    'fcm.serviceAccounts[0].file: a readable file (ENOENT)',
    'fcm.serviceAccounts[1].file: a service-account JSON key file (it is not JSON)',
    'fcm.serviceAccounts[2].file: a service-account JSON key file (missing private_key_id, client_email)',
    'apns.tokenKeys[0].file: an APNs signing key (.p8: a PKCS#8 P-256 key, PEM)',
  ]);
  t.false(JSON.stringify((error as ConfigError).problems).includes('PRIVATE KEY'), 'no secret in the problems');
});

test('the annotated sample config/push.example.yaml loads and lists the defaults', (t) => {
  const sample = new URL('../../../../config/push.example.yaml', import.meta.url);
  const config = loadPushConfig(sample.pathname);
  t.deepEqual(config.queue, parsePushConfig(minimal, '/x/push.yaml').queue);
  t.deepEqual(config.retry, parsePushConfig(minimal, '/x/push.yaml').retry);
  t.is(config.fcm?.serviceAccounts[0]?.project, '917288118967');
  t.true(config.apns?.tokenKeys[0]?.file.endsWith('/config/secrets/AuthKey_KEYID12345.p8'));
});
