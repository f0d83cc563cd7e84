import test from 'ava';
import { ConfigError } from '../../../src/errors.js';
import { backoffDelay } from '../../../src/dns/external/backoff.js';
import { DEFAULT_EXTERNAL_DNS, parseExternalDnsConfig } from '../../../src/dns/external/config.js';

test('a minimal block gets the defaults; the zone loses its trailing dot; the node file key path wins', (t) => {
  const config = parseExternalDnsConfig(
    { server: 'ns1.example.net', zone: 'Example.ES.', keyFile: '/etc/stg/block.key' },
    '/etc/stg/ddns.key',
  );
  t.deepEqual(config, {
    server: 'ns1.example.net',
    port: 53,
    zone: 'example.es',
    keyFile: '/etc/stg/ddns.key',
    timeoutMs: DEFAULT_EXTERNAL_DNS.timeoutMs,
    backoff: { ...DEFAULT_EXTERNAL_DNS.backoff },
    verifyIntervalMs: DEFAULT_EXTERNAL_DNS.verifyIntervalMs,
  });
  t.is(parseExternalDnsConfig({ server: '2001:db8::53', zone: 'example.es', keyFile: '/k' }).keyFile, '/k');
});

test('every problem is listed at once, each naming the field, the value and what was expected', (t) => {
  const error = t.throws(
    () =>
      parseExternalDnsConfig({
        server: 'ns1 ; rm',
        port: 70000,
        zone: 'example..es',
        timeoutMs: 10,
        extra: true,
      }),
    { instanceOf: ConfigError },
  );
  const byPath = new Map(error.problems.map((problem) => [problem.path, problem]));
  t.like(byPath.get('server'), { value: 'ns1 ; rm', expected: 'a host name or IP address' });
  t.like(byPath.get('port'), { value: 70000, expected: 'a port in 1-65535' });
  t.like(byPath.get('zone'), { value: 'example..es', expected: 'a DNS zone name, e.g. example.es' });
  t.like(byPath.get('timeoutMs'), { value: 10, expected: 'at least 1000 ms' });
  t.regex(byPath.get('extra')?.expected ?? '', /^a known key \(server, port, zone, keyFile, /);
  t.regex(byPath.get('keyFile')?.expected ?? '', /dnsExternalKeyFile in the node file/);
  t.is(error.problems.length, 6, error.message);
  t.regex(error.message, /^dns\.external: 6 problem\(s\):/);

  const backoff = t.throws(
    () => parseExternalDnsConfig({ server: 'a', zone: 'b.es', backoff: { initialMs: 5000, maxMs: 1000 } }, '/k'),
    {
      instanceOf: ConfigError,
    },
  );
  t.like(backoff.problems[0], {
    path: 'backoff.maxMs',
    expected: 'at least backoff.initialMs (the cap of the growing delay)',
  });
});

test('the backoff doubles from initialMs to the cap and stays there, even after very many failures', (t) => {
  const backoff = { initialMs: 500, maxMs: 30_000, factor: 2 };
  t.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 8].map((failures) => backoffDelay(failures, backoff)),
    [0, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000],
  );
  t.is(backoffDelay(1e9, backoff), 30_000);
  t.is(backoffDelay(5, { initialMs: 700, maxMs: 900, factor: 1 }), 700);
  t.is(backoffDelay(3, { initialMs: 100, maxMs: 1000, factor: 1.5 }), 225);
});
