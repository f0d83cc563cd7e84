import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { ConfigError } from '../../../../src/errors.js';
import { loadSipProxyConfig } from '../../../../src/sip/config.js';
import { proxySettings } from '../../../../src/sip/proxy/config.js';

function write(t: ExecutionContext, lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'stg-proxy-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sip-proxy.yaml');
  writeFileSync(
    path,
    `${['listen:', '  - { transport: udp, address: 127.0.0.1, port: 5060 }', ...lines].join('\n')}\n`,
  );
  return path;
}

test('the proxy section: every default applied, domains from the registrar unless given', (t) => {
  const config = loadSipProxyConfig(
    write(t, ['proxy:', '  pbx:', '    targets: [{ transport: udp, address: 10.0.0.21, port: 5060 }]']),
  );
  const { settings, timers } = proxySettings(config.proxy, { domains: ['Sips.Example.es'], proxyId: 'n1' });
  t.deepEqual(settings.domains, ['sips.example.es']);
  t.deepEqual(settings.pbx, {
    targets: [{ transport: 'udp', address: '10.0.0.21', port: 5060 }],
    failoverAfterMs: 4000,
    quarantineMs: 30_000,
  });
  t.true(settings.recordRoute);
  t.is(settings.timerCMs, 180_000);
  t.is(settings.proxyId, 'n1');
  t.deepEqual(timers, { t1Ms: 500, t2Ms: 4000, t4Ms: 5000 });
  t.true(Object.isFrozen(settings.pbx.targets[0]));
});

test('bad proxy settings: every problem at once, each with the field, the value and what was expected', (t) => {
  const path = write(t, [
    'proxy:',
    '  domains: ["bad domain"]',
    '  recordRoute: yes please',
    '  pbx:',
    '    targets: [{ transport: sctp, address: pbx.example.es, port: 0 }]',
    '    failoverAfterMs: 10',
    '  aliases: ["not an alias!"]',
    '  timers: { t1Ms: 1000, t2Ms: 500 }',
    '  unknown: 1',
  ]);
  const error = t.throws(() => loadSipProxyConfig(path), { instanceOf: ConfigError }) as ConfigError;
  const byPath = new Map(error.problems.map((problem) => [problem.path, problem]));
  for (const field of [
    'proxy.domains[0]',
    'proxy.recordRoute',
    'proxy.pbx.targets[0].transport',
    'proxy.pbx.targets[0].address',
    'proxy.pbx.targets[0].port',
    'proxy.pbx.failoverAfterMs',
    'proxy.aliases[0]',
    'proxy.timers.t2Ms',
    'proxy.unknown',
  ]) {
    t.true(byPath.has(field), `${field} is named; got ${[...byPath.keys()].join(', ')}`);
  }
  t.regex(byPath.get('proxy.pbx.targets[0].address')!.expected, /IPv4 or IPv6 address/);
  t.regex(byPath.get('proxy.timers.t2Ms')!.expected, /at least t1Ms \(1000\)/);
  t.is(byPath.get('proxy.pbx.targets[0].address')!.value, 'pbx.example.es');
  t.regex(error.message, /proxy\.pbx\.targets\[0\]\.port: 0: expected/);
});

test('an empty PBX target list is refused: the section exists to name at least one', (t) => {
  const error = t.throws(() => loadSipProxyConfig(write(t, ['proxy:', '  pbx: { targets: [] }'])), {
    instanceOf: ConfigError,
  }) as ConfigError;
  t.deepEqual(
    error.problems.map((problem) => problem.path),
    ['proxy.pbx.targets'],
  );
});
