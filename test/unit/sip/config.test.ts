import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../../../src/errors.js';
import { fileURLToPath } from 'node:url';
import { silentLog } from '../../../src/silent-log.js';
import { CredentialStore } from '../../../src/sip/auth/index.js';
import { loadSipProxyConfig } from '../../../src/sip/config.js';

function write(t: { teardown: (fn: () => void) => void }, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'stg-sip-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sip-proxy.yaml');
  writeFileSync(path, text);
  return path;
}

test('a valid file: listen addresses, limits, log file resolved against the file', (t) => {
  const path = write(
    t,
    [
      'listen:',
      '  - { transport: udp, address: 127.0.0.1, port: 5060 }',
      '  - { transport: tcp, address: "::1", port: 0 }',
      'limits:',
      '  maxMessageBytes: 8192',
      '  exemptSources: [192.0.2.1]',
      'log: { level: debug, file: logs/sip.log }',
      '',
    ].join('\n'),
  );
  const config = loadSipProxyConfig(path);
  t.deepEqual(config.listen, [
    { transport: 'udp', address: '127.0.0.1', port: 5060 },
    { transport: 'tcp', address: '::1', port: 0 },
  ]);
  t.deepEqual(config.limits, { maxMessageBytes: 8192, exemptSources: ['192.0.2.1'] });
  t.is(config.log.file, join(path, '..', 'logs', 'sip.log'));
  t.true(Object.isFrozen(config.listen[0]));
});

test('every problem is reported at once, each naming the field, the value and what was expected', (t) => {
  const path = write(
    t,
    [
      'listen:',
      '  - { transport: sctp, address: 127.0.0.1, port: 5060 }',
      '  - { transport: udp, address: 0.0.0.0, port: 5060 }',
      '  - { transport: tcp, address: 198.51.100.300, port: 70000 }',
      '  - { transport: udp, address: 127.0.0.1, port: 5062 }',
      '  - { transport: udp, address: 127.0.0.1, port: 5062 }',
      'limits: { maxMessageBytes: 100, tcpIdleTimeoutMs: 1.5, burst: 3 }',
      'lisen: []',
      '',
    ].join('\n'),
  );
  const error = t.throws(() => loadSipProxyConfig(path), { instanceOf: ConfigError });
  const message = error?.message ?? '';
  for (const expected of [
    /listen\[0\]\.transport: "sctp": expected udp or tcp/,
    /listen\[1\]\.address: "0\.0\.0\.0": expected a node address, not 0\.0\.0\.0/,
    /listen\[2\]\.address: "198\.51\.100\.300": expected an IPv4 or IPv6 address/,
    /listen\[2\]\.port: 70000: expected a port/,
    /listen\[4\]: .*expected each address only once/,
    /limits\.maxMessageBytes: 100: expected bytes \(a whole number 1024-65535\)/,
    /limits\.tcpIdleTimeoutMs: 1\.5: expected milliseconds/,
    /limits\.burst: 3: expected a known key/,
    /lisen: \[\]: expected a known key/,
  ]) {
    t.regex(message, expected);
  }
});

test('an unreadable or broken file is a configuration error too', (t) => {
  t.throws(() => loadSipProxyConfig('/nonexistent/sip-proxy.yaml'), {
    instanceOf: ConfigError,
    message: /readable YAML file/,
  });
  t.throws(() => loadSipProxyConfig(write(t, 'listen: [unclosed\n')), {
    instanceOf: ConfigError,
    message: /valid YAML/,
  });
  t.throws(() => loadSipProxyConfig(write(t, 'log: {}\n')), { instanceOf: ConfigError, message: /listen: missing/ });
});

test("a listener without a port takes its transport's: 5060 for UDP and TCP, 5554 for TLS, 80 and 443 for WebSocket", (t) => {
  const path = write(
    t,
    [
      'listen:',
      '  - { transport: udp, address: 127.0.0.1 }',
      '  - { transport: tcp, address: 127.0.0.1 }',
      '  - { transport: ws, address: 127.0.0.1 }',
      '  - { transport: tcp, address: 127.0.0.1, port: 5556 }',
      '',
    ].join('\n'),
  );
  t.deepEqual(
    loadSipProxyConfig(path).listen.map((entry) => `${entry.transport} ${entry.port}`),
    ['udp 5060', 'tcp 5060', 'ws 80', 'tcp 5556'],
  );
  const clash = write(
    t,
    [
      'listen:',
      '  - { transport: tcp, address: 127.0.0.1 }',
      '  - { transport: tcp, address: 127.0.0.1, port: 5060 }',
      '',
    ].join('\n'),
  );
  const error = t.throws(() => loadSipProxyConfig(clash), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /listen\[1\].*each address only once/);
});

test('the annotated example file is valid, its credentials file included (what --check-config reads)', (t) => {
  const sample = fileURLToPath(new URL('../../../../config/sip-proxy.example.yaml', import.meta.url));
  const config = loadSipProxyConfig(sample);
  t.truthy(config.auth);
  const store = CredentialStore.load(config.auth!.domains.values(), silentLog);
  t.is(store.userCount('sips.example.es'), 1);
});
