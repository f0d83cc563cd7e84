import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { ConfigError } from '../../../../src/errors.js';
import { loadSipProxyConfig } from '../../../../src/sip/config.js';
import { DEFAULT_PUSH_WAIT, pushWaitSettings } from '../../../../src/sip/proxy/push-wait-config.js';

function write(t: ExecutionContext, lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'stg-push-wait-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sip-proxy.yaml');
  writeFileSync(
    path,
    `${['listen:', '  - { transport: udp, address: 127.0.0.1, port: 5060 }', ...lines].join('\n')}\n`,
  );
  return path;
}

test('pushWait: defaults (90 s calls, 110 Push sent), and what is given replaces them', (t) => {
  t.deepEqual(pushWaitSettings(loadSipProxyConfig(write(t, [])).pushWait), DEFAULT_PUSH_WAIT);
  const config = loadSipProxyConfig(
    write(t, ['pushWait:', '  callTimeoutMs: 30000', '  provisional: false', '  queuePrefix: test:push']),
  );
  const settings = pushWaitSettings(config.pushWait);
  t.is(settings.callTimeoutMs, 30_000);
  t.false(settings.provisional);
  t.is(settings.queuePrefix, 'test:push');
  t.is(settings.messageTimeoutMs, 30_000);
  t.is(DEFAULT_PUSH_WAIT.callTimeoutMs, 90_000);
  t.deepEqual(DEFAULT_PUSH_WAIT.provisional, { status: 110, reason: 'Push sent' });
});

test('bad pushWait settings: each problem names the field and what was expected', (t) => {
  const path = write(t, [
    'pushWait:',
    '  callTimeoutMs: 5',
    '  provisional: { status: 200, reason: OK }',
    '  maxPending: 0',
    '  queuePrefix: "bad prefix"',
    '  waitForever: true',
  ]);
  const error = t.throws(() => loadSipProxyConfig(path), { instanceOf: ConfigError })!;
  for (const field of [
    'pushWait.callTimeoutMs',
    'pushWait.provisional',
    'pushWait.maxPending',
    'pushWait.queuePrefix',
    'pushWait',
  ]) {
    t.true(error.message.includes(field), `${field} named in:\n${error.message}`);
  }
  t.regex(error.message, /milliseconds \(a whole number 100-600000\)/);
  t.regex(error.message, /a known key/);
});
