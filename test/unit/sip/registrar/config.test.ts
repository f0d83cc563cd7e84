import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ConfigError } from '../../../../src/errors.js';
import { describeSipProxyConfig, loadSipProxyConfig } from '../../../../src/sip/config.js';

const SAMPLE = fileURLToPath(new URL('../../../../../config/sip-proxy.example.yaml', import.meta.url));

function write(t: { teardown: (fn: () => void) => void }, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'stg-registrar-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sip-proxy.yaml');
  writeFileSync(path, text);
  return path;
}

const LISTEN = 'listen: [{ transport: udp, address: 127.0.0.1, port: 5060 }]';

test('the sample configuration loads: data Redis and registrar with its Path', (t) => {
  const config = loadSipProxyConfig(SAMPLE);
  t.deepEqual(config.dataStore, { host: '10.0.0.5', port: 6379 });
  t.like(config.registrar, {
    domains: ['sips.example.es'],
    minExpiresS: 60,
    maxExpiresS: 86400,
    defaultExpiresS: 600,
    maxContactsPerAor: 12,
    proxyId: '26378b0194d4162e',
    ownPath: 'sip:10.0.0.11:5556;transport=tcp;fs-proxy-id=26378b0194d4162e;lr',
  });
  t.regex(describeSipProxyConfig(config), /registrar for sips\.example\.es: expires 60-86400 s \(default 600\)/);
});

test('defaults apply to what is left out; the password file resolves against the configuration folder', (t) => {
  const path = write(
    t,
    [
      LISTEN,
      'dataStore: { host: 127.0.0.1, port: 6390, passwordFile: secret/redis }',
      'registrar: { domains: [Example.COM] }',
      '',
    ].join('\n'),
  );
  const config = loadSipProxyConfig(path);
  t.is(config.dataStore?.passwordFile, join(path, '..', 'secret', 'redis'));
  t.like(config.registrar, {
    domains: ['example.com'],
    maxInFlight: 1000,
    writeTimeoutMs: 2000,
    retryAfterS: 5,
    gruu: true,
    ownPath: undefined,
  });
});

test('every registrar problem is reported at once, each naming the field, the value and what was expected', (t) => {
  const path = write(
    t,
    [
      LISTEN,
      'registrar:',
      '  domains: ["bad domain"]',
      '  minExpiresS: 600',
      '  maxExpiresS: 60',
      '  maxInFlight: 0',
      '  gruu: yes please',
      '  path: { uri: "http://x", proxyId: "no spaces allowed" }',
      '  expiry: 3',
      '',
    ].join('\n'),
  );
  const error = t.throws(() => loadSipProxyConfig(path), { instanceOf: ConfigError });
  const message = error?.message ?? '';
  for (const expected of [
    /registrar\.domains\[0\]: "bad domain": expected a domain name/,
    /registrar\.minExpiresS: 600: expected at most maxExpiresS \(60\)/,
    /registrar\.defaultExpiresS: 600 \(default\): expected between minExpiresS \(600\) and maxExpiresS \(60\)/,
    /registrar\.maxInFlight: 0: expected requests \(a whole number 1-1000000\)/,
    /registrar\.gruu: "yes please": expected true or false/,
    /registrar\.path\.uri: "http:\/\/x": expected a sip: URI without headers/,
    /registrar\.path\.proxyId: "no spaces allowed": expected this proxy's id/,
    /registrar\.expiry: 3: expected a known key/,
    /dataStore: missing: expected the data Redis \(\{ host, port \}\): the registrar keeps its bindings there/,
  ]) {
    t.regex(message, expected);
  }
});

test('a data store with a bad port or an unknown key is refused with the field', (t) => {
  const path = write(t, [LISTEN, 'dataStore: { host: "", port: 70000, pasword: x }', ''].join('\n'));
  const message = t.throws(() => loadSipProxyConfig(path), { instanceOf: ConfigError })?.message ?? '';
  t.regex(message, /dataStore\.host: "": expected a host name or address/);
  t.regex(message, /dataStore\.port: 70000: expected a port \(a whole number 1-65535\)/);
  t.regex(message, /dataStore\.pasword: "x": expected a known key/);
});
