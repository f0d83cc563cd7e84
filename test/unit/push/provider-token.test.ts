import { generateKeyPairSync } from 'node:crypto';
import test from 'ava';
import { decodeJwt, decodeProtectedHeader, importPKCS8 } from 'jose';
import { ProviderTokens } from '../../../src/push/apns/provider-token.js';

async function signingKey() {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  return { teamId: 'TEAM123456', keyId: 'KEY1234567', privateKey: await importPKCS8(pem.toString(), 'ES256') };
}

test('a provider token is ES256 with kid, iss and iat, reused inside the refresh window and replaced after', async (t) => {
  let now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const tokens = new ProviderTokens({ refreshMinutes: 40, now: () => now });
  const key = await signingKey();
  const first = await tokens.token(key);
  t.like(decodeProtectedHeader(first), { alg: 'ES256', kid: 'KEY1234567' });
  t.like(decodeJwt(first), { iss: 'TEAM123456', iat: now / 1000 });
  now += 39 * 60_000;
  t.is(await tokens.token(key), first, 'reused at 39 minutes (Apple refuses updates more often than every 20)');
  now += 60_000;
  const second = await tokens.token(key);
  t.not(second, first, 'replaced at 40 minutes (Apple refuses tokens older than 60)');
  t.is(tokens.signed, 2);
});

test('a token Apple calls expired is replaced at once; concurrent requests share one signature', async (t) => {
  const tokens = new ProviderTokens({ refreshMinutes: 40 });
  const key = await signingKey();
  const [a, b, c] = await Promise.all([tokens.token(key), tokens.token(key), tokens.token(key)]);
  t.is(tokens.signed, 1);
  t.true(a === b && b === c);
  tokens.invalidate(key, 'some older token');
  t.is(await tokens.token(key), a, 'invalidating a token that is no longer current changes nothing');
  tokens.invalidate(key, a!);
  t.not(await tokens.token(key), a);
  t.is(tokens.signed, 2);
});
