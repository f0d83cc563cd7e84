import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../../../../src/errors.js';
import { describeSipProxyConfig, loadSipProxyConfig } from '../../../../src/sip/config.js';
import { createSipTestPki, type SipTestPki } from '../../../fixtures/sip/tls-certs.js';

// The proxy configuration's transport part: tls, ws and wss listeners, behindProxy, paths and outgoing TLS, with
// certificate files read at load time so that every problem names its field.

let pki: SipTestPki;

test.before(() => {
  pki = createSipTestPki();
});

test.after.always(() => pki?.remove());

function write(t: { teardown: (fn: () => void) => void }, lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'stg-sip-listen-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sip-proxy.yaml');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

test('tls, ws and wss listeners with their files, behindProxy, a path and outgoing TLS', (t) => {
  const path = write(t, [
    'listen:',
    `  - { transport: tls, address: 127.0.0.1, port: 5554, behindProxy: true, tls: { certFile: ${pki.ecdsa.certFile}, keyFile: ${pki.ecdsa.keyFile} } }`,
    `  - { transport: wss, address: "::1", port: 443, path: /sip, tls: { certFile: ${pki.rsa.certFile}, keyFile: ${pki.rsa.keyFile}, caFile: ${pki.caFile} } }`,
    '  - { transport: ws, address: 127.0.0.1, port: 8080 }',
    '  - { transport: udp, address: 127.0.0.1, port: 5554 }',
    `tlsClient: { caFile: ${pki.caFile}, verifyServer: true }`,
    'limits: { handshakeTimeoutMs: 3000 }',
  ]);
  const config = loadSipProxyConfig(path);
  t.deepEqual(config.listen, [
    {
      transport: 'tls',
      address: '127.0.0.1',
      port: 5554,
      behindProxy: true,
      tls: { certFile: pki.ecdsa.certFile, keyFile: pki.ecdsa.keyFile },
    },
    {
      transport: 'wss',
      address: '::1',
      port: 443,
      path: '/sip',
      tls: { certFile: pki.rsa.certFile, keyFile: pki.rsa.keyFile, caFile: pki.caFile },
    },
    { transport: 'ws', address: '127.0.0.1', port: 8080 },
    { transport: 'udp', address: '127.0.0.1', port: 5554 },
  ]);
  t.deepEqual(config.tlsClient, { caFile: pki.caFile, verifyServer: true });
  t.is(config.limits.handshakeTimeoutMs, 3000);
  t.regex(describeSipProxyConfig(config), /listen tls 127\.0\.0\.1 port 5554, behind HAProxy/);
});

test('relative certificate paths resolve against the configuration file', (t) => {
  const path = write(t, [
    'listen:',
    '  - { transport: tls, address: 127.0.0.1, port: 0, tls: { certFile: c.pem, keyFile: k.pem } }',
  ]);
  writeFileSync(join(path, '..', 'c.pem'), pki.ecdsa.cert);
  writeFileSync(join(path, '..', 'k.pem'), pki.ecdsa.key);
  t.is(loadSipProxyConfig(path).listen[0]!.tls!.certFile, join(path, '..', 'c.pem'));
});

test('every transport problem is reported at once, naming the field and why', (t) => {
  const path = write(t, [
    'listen:',
    '  - { transport: tls, address: 127.0.0.1, port: 5061 }',
    `  - { transport: udp, address: 127.0.0.1, port: 5060, behindProxy: true, tls: { certFile: ${pki.ecdsa.certFile}, keyFile: ${pki.ecdsa.keyFile} } }`,
    '  - { transport: tcp, address: 127.0.0.1, port: 5062, path: /ws }',
    '  - { transport: ws, address: 127.0.0.1, port: 5063, path: "no slash", behindProxy: yes }',
    '  - { transport: tls, address: 127.0.0.1, port: 5062, tls: { certFile: a.pem, keyFile: b.pem } }',
    'tlsClient: { certFile: c.pem }',
  ]);
  const message = t.throws(() => loadSipProxyConfig(path), { instanceOf: ConfigError })?.message ?? '';
  for (const expected of [
    /listen\[0\]\.tls: missing: expected \{ certFile, keyFile \} for a tls listener/,
    /listen\[1\]\.tls: .*expected no tls block: only tls and wss listeners have one/,
    /listen\[1\]\.behindProxy: true: expected false: HAProxy forwards streams, not UDP/,
    /listen\[2\]\.path: "\/ws": expected no path: only ws and wss listeners have one/,
    /listen\[3\]\.path: "no slash": expected an HTTP path starting with \//,
    /listen\[3\]\.behindProxy: "yes": expected true or false/,
    /listen\[4\]: .*expected each address only once/,
    /tlsClient: .*expected certFile and keyFile together, or neither/,
  ]) {
    t.regex(message, expected);
  }
});

test('certificate files that cannot be used stop the load, each named with its field', (t) => {
  const path = write(t, [
    'listen:',
    '  - { transport: tls, address: 127.0.0.1, port: 5061, tls: { certFile: missing.pem, keyFile: missing.key } }',
    `  - { transport: wss, address: 127.0.0.1, port: 443, tls: { certFile: ${pki.ecdsa.certFile}, keyFile: ${pki.rsa.keyFile} } }`,
    `  - { transport: tls, address: 127.0.0.1, port: 5062, tls: { certFile: ${pki.ecdsa.keyFile}, keyFile: ${pki.ecdsa.keyFile} } }`,
    `  - { transport: tls, address: 127.0.0.1, port: 5063, tls: { certFile: ${pki.ecdsa.certFile}, keyFile: ${pki.ecdsa.keyFile}, caFile: ${pki.ecdsa.keyFile} } }`,
    'tlsClient: { caFile: nowhere/ca.pem }',
  ]);
  const message = t.throws(() => loadSipProxyConfig(path), { instanceOf: ConfigError })?.message ?? '';
  for (const expected of [
    /listen\[0\]\.tls\.certFile: "missing\.pem": expected a readable file \(ENOENT\)/,
    /listen\[1\]\.tls\.keyFile: ".*server-rsa\.key": expected the private key of certFile/,
    /listen\[2\]\.tls\.certFile: ".*server-ecdsa\.key": expected a PEM certificate/,
    /listen\[3\]\.tls\.caFile: ".*server-ecdsa\.key": expected PEM CA certificates/,
    /tlsClient\.caFile: "nowhere\/ca\.pem": expected a readable file \(ENOENT\)/,
  ]) {
    t.regex(message, expected);
  }
});
