import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../../../../src/errors.js';
import { describeSipProxyConfig, loadSipProxyConfig } from '../../../../src/sip/config.js';

function write(t: { teardown: (fn: () => void) => void }, status: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'stg-sip-status-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sip-proxy.yaml');
  writeFileSync(path, ['listen:', '  - { transport: udp, address: 127.0.0.1, port: 5060 }', status, ''].join('\n'));
  return path;
}

test('status: address and port default to 127.0.0.1:5081; --check-config shows the endpoint', (t) => {
  const config = loadSipProxyConfig(write(t, 'status: {}'));
  t.deepEqual(config.status, { address: '127.0.0.1', port: 5081 });
  t.true(Object.isFrozen(config.status));
  t.regex(describeSipProxyConfig(config), /status endpoint 127\.0\.0\.1 port 5081: \/metrics, \/status, \/health/);
  t.is(loadSipProxyConfig(write(t, '')).status, undefined, 'no status section: no endpoint');
  t.deepEqual(loadSipProxyConfig(write(t, 'status: { address: "::1", port: 0 }')).status, { address: '::1', port: 0 });
});

test('status.address 0.0.0.0 or :: is refused, naming the field and the reason', (t) => {
  for (const address of ['0.0.0.0', '"::"']) {
    const error = t.throws(() => loadSipProxyConfig(write(t, `status: { address: ${address}, port: 5081 }`)), {
      instanceOf: ConfigError,
    });
    t.regex(
      error?.message ?? '',
      /status\.address: "(0\.0\.0\.0|::)": expected a loopback or node address, not 0\.0\.0\.0 or :: \(the status endpoint is for the local agent/,
    );
  }
});

test('every other status problem is reported at once with its field', (t) => {
  const error = t.throws(() => loadSipProxyConfig(write(t, 'status: { address: localhost, port: 70000, path: /x }')), {
    instanceOf: ConfigError,
  });
  const message = error?.message ?? '';
  t.regex(message, /status\.address: "localhost": expected an IPv4 or IPv6 address/);
  t.regex(message, /status\.port: 70000: expected a port, 0 for any free port \(a whole number 0-65535\)/);
  t.regex(message, /status\.path: .*expected a known key \(address, port\)/);
});
