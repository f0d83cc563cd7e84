import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { ConfigError } from '../../../../src/errors.js';
import { CredentialStore } from '../../../../src/sip/auth/credential-store.js';
import { readCredentialsFile } from '../../../../src/sip/auth/credentials-file.js';
import { loadSipProxyConfig } from '../../../../src/sip/config.js';
import { ha1Of } from '../../../fixtures/sip/auth/digest-client.js';
import { captureLog } from '../../../fixtures/sip/auth/log-capture.js';

// The auth section of the proxy configuration and the credentials files: defaults, paths, and every problem
// reported at once with its field; secrets never shown in an error.

function folder(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'stg-sip-auth-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const LISTEN = 'listen: [{ transport: udp, address: 127.0.0.1, port: 0 }]\n';

test('the auth section: defaults, domains by lower-case name, credential paths resolved against the file', (t) => {
  const dir = folder(t);
  const path = join(dir, 'sip-proxy.yaml');
  writeFileSync(
    path,
    LISTEN +
      [
        'auth:',
        '  trustedSources: [10.0.0.5, "2001:db8::5"]',
        '  domains:',
        '    Example.COM: { mode: local, credentialsFile: users/example.yaml }',
        '    sha.example.com: { mode: local, credentialsFile: /etc/u.yaml, realm: "SHA users", algorithms: [SHA-256], identity: any }',
        '    pbx.example.net: { mode: pass-through }',
        '',
      ].join('\n'),
  );
  const auth = loadSipProxyConfig(path).auth!;
  t.is(auth.nonceLifetimeMs, 300_000);
  t.is(auth.maxTrackedNonces, 100_000);
  t.deepEqual(auth.trustedSources, ['10.0.0.5', '2001:db8::5']);
  t.deepEqual(auth.domains.get('example.com'), {
    mode: 'local',
    domain: 'example.com',
    realm: 'example.com',
    credentialsFile: join(dir, 'users', 'example.yaml'),
    algorithms: ['SHA-256', 'MD5'],
    identity: 'strict',
  });
  t.like(auth.domains.get('sha.example.com'), { realm: 'SHA users', credentialsFile: '/etc/u.yaml', identity: 'any' });
  t.like(auth.domains.get('sha.example.com'), { algorithms: ['SHA-256'] });
  t.deepEqual(auth.domains.get('pbx.example.net'), { mode: 'pass-through', domain: 'pbx.example.net' });
  const without = join(dir, 'plain.yaml');
  writeFileSync(without, LISTEN);
  t.is(loadSipProxyConfig(without).auth, undefined);
});

test('every problem of the auth section at once, each naming its field and what was expected', (t) => {
  const dir = folder(t);
  const path = join(dir, 'sip-proxy.yaml');
  writeFileSync(
    path,
    LISTEN +
      [
        'auth:',
        '  nonceLifetimeS: 5',
        '  trustedSources: [pbx.local]',
        '  nonce: 3',
        '  domains:',
        '    a.example: { mode: locally }',
        '    b.example: { mode: local }',
        '    c.example: { mode: pass-through, credentialsFile: x.yaml }',
        '    d.example: { mode: local, credentialsFile: d.yaml, algorithms: [MD5, MD5] }',
        '    e.example: { mode: local, credentialsFile: e.yaml, algorithms: [SHA-512-256] }',
        '    f.example: { mode: local, credentialsFile: f.yaml, algorithms: [], identity: loose }',
        '    g.example: { mode: local, credentialsFile: g.yaml, realm: "say \\"hi\\"" }',
        '    "bad domain!": { mode: pass-through }',
        '    A.example: { mode: pass-through }',
        '',
      ].join('\n'),
  );
  const error = t.throws(() => loadSipProxyConfig(path), { instanceOf: ConfigError });
  const message = error?.message ?? '';
  for (const expected of [
    /auth\.nonceLifetimeS: 5: expected seconds \(a whole number 10-3600\)/,
    /auth\.trustedSources\[0\]: "pbx\.local": expected an IPv4 or IPv6 address/,
    /auth\.nonce: 3: expected a known key \(nonceLifetimeS, maxTrackedNonces, trustedSources, domains\)/,
    /auth\.domains\.a\.example\.mode: .*expected local or pass-through/,
    /auth\.domains\.b\.example\.credentialsFile: missing: expected string/,
    /auth\.domains\.c\.example\.credentialsFile: "x\.yaml": expected a known key \(mode\)/,
    /auth\.domains\.d\.example\.algorithms: \["MD5","MD5"\]: expected each algorithm once/,
    /auth\.domains\.e\.example\.algorithms\[0\]: "SHA-512-256": expected one of SHA-256, MD5/,
    /auth\.domains\.f\.example\.algorithms: \[\]: expected at least one algorithm/,
    /auth\.domains\.f\.example\.identity: "loose": expected strict or any/,
    /auth\.domains\.g\.example\.realm: .*expected a realm of 1-128 printable characters/,
    /auth\.domains\.bad domain!: "bad domain!": expected a key that is a domain name or an IP address/,
    /auth\.domains\.A\.example: .*expected each domain once \(names ignore case\)/,
  ]) {
    t.regex(message, expected);
  }
});

test('a credentials file: hashes kept in lower case, a password turned into both hashes and dropped', (t) => {
  const dir = folder(t);
  const path = join(dir, 'users.yaml');
  const sha = ha1Of('SHA-256', 'alice', 'example.com', 'wonderland').toUpperCase();
  writeFileSync(
    path,
    [
      'realm: example.com',
      'users:',
      `  alice: { ha1-sha256: "${sha}" }`,
      `  "1001": { ha1-md5: "${ha1Of('MD5', '1001', 'example.com', 'pin')}" }`,
      '  bob: { password: "builder" }',
      '',
    ].join('\n'),
  );
  const read = readCredentialsFile(path, 'example.com');
  if (!read.ok) return t.fail(JSON.stringify(read.problems));
  t.deepEqual(read.value.get('alice'), { ha1: { 'SHA-256': sha.toLowerCase() } });
  t.deepEqual(read.value.get('1001'), { ha1: { MD5: ha1Of('MD5', '1001', 'example.com', 'pin') } });
  t.deepEqual(read.value.get('bob'), {
    ha1: {
      'SHA-256': ha1Of('SHA-256', 'bob', 'example.com', 'builder'),
      MD5: ha1Of('MD5', 'bob', 'example.com', 'builder'),
    },
  });
  t.false(JSON.stringify([...read.value]).includes('builder'));
});

test('credentials file problems name the file and the field, and never show a secret', (t) => {
  const dir = folder(t);
  const path = join(dir, 'users.yaml');
  writeFileSync(
    path,
    [
      'users:',
      '  alice: { ha1-md5: "abc" }',
      '  bob: { ha1-md5: 12345678901234567890123456789012 }',
      '  carol: { password: "s3cret-carol", ha1-md5: "0123456789abcdef0123456789abcdef" }',
      '  dave: {}',
      '  erin: { pasword: "s3cret-erin" }',
      '  "frank smith": { password: "x" }',
      '',
    ].join('\n'),
  );
  const read = readCredentialsFile(path, 'example.com');
  t.false(read.ok);
  const lines = read.ok ? [] : read.problems.map((p) => `${p.path}: ${p.expected}`);
  const text = lines.join('\n');
  for (const expected of [
    `${path}: users.alice.ha1-md5: 32 hex digits`,
    `${path}: users.bob.ha1-md5: 32 hex digits, in quotes`,
    `${path}: users.carol: HA1 hashes or a password, not both`,
    `${path}: users.dave: a password or at least one HA1 (ha1-sha256, ha1-md5)`,
    `${path}: users.erin.pasword: a known key (ha1-sha256, ha1-md5, password)`,
    `${path}: users.frank smith: a key that is a user name of 1-128 printable characters`,
  ]) {
    t.true(text.includes(expected), `${expected}\nin:\n${text}`);
  }
  t.false(text.includes('s3cret'));
  t.true(read.ok || read.problems.every((p) => p.value === undefined));

  writeFileSync(path, 'realm: other.example\nusers: {}\n');
  const realm = readCredentialsFile(path, 'example.com');
  t.false(realm.ok);
  t.regex(realm.ok ? '' : realm.problems[0]!.expected, /the realm of its domain, "example\.com"/);
});

test('at start, every bad or missing credentials file is a ConfigError naming it', (t) => {
  const dir = folder(t);
  writeFileSync(join(dir, 'bad.yaml'), 'users: { alice: {} }\n');
  const domains = [
    {
      mode: 'local',
      domain: 'a.example',
      realm: 'a.example',
      credentialsFile: join(dir, 'bad.yaml'),
      algorithms: ['MD5'],
      identity: 'strict',
    },
    {
      mode: 'local',
      domain: 'b.example',
      realm: 'b.example',
      credentialsFile: join(dir, 'none.yaml'),
      algorithms: ['MD5'],
      identity: 'strict',
    },
  ] as const;
  const error = t.throws(() => CredentialStore.load(domains, captureLog().log), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /bad\.yaml: users\.alice/);
  t.regex(error?.message ?? '', /none\.yaml.*a readable YAML file \(ENOENT\)/);
});
