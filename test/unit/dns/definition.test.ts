import test from 'ava';
import { parseDefinition } from '../../../src/config/load.js';
import { DNS_DEFAULTS } from '../../../src/dns/defaults.js';
import { ConfigError } from '../../../src/errors.js';

const base = { cluster: 'test', service: { name: 'sips.example.es' } };

test('the dns block is optional: every field has its default', (t) => {
  t.deepEqual(parseDefinition(base, 'test').dns, { ...DNS_DEFAULTS, ports: { ...DNS_DEFAULTS.ports } });
  t.deepEqual(parseDefinition({ ...base, dns: { ttlS: 30, ports: { sip: 5070 } } }, 'test').dns, {
    ...DNS_DEFAULTS,
    ttlS: 30,
    ports: { sips: 5554, sip: 5070 },
  });
});

test('invalid dns fields are named with the reason, all at once', (t) => {
  const error = t.throws(
    () =>
      parseDefinition(
        { ...base, dns: { ttlS: 0, port: 70000, ports: { sips: 'x' }, healthResource: 'SIP', ttl: 5 } },
        'test',
      ),
    { instanceOf: ConfigError },
  );
  t.regex(error.message, /dns\.ttlS: 0: expected a TTL of 1-86400 seconds/);
  t.regex(error.message, /dns\.port: 70000: expected a port in 1-65535/);
  t.regex(error.message, /dns\.ports\.sips: "x"/);
  t.regex(error.message, /dns\.healthResource: "SIP": expected a lower-case name/);
  t.regex(error.message, /dns\.ttl: 5: expected a known key \(ttlS, port, ports, healthResource/);
});

test('a service name outside service.zone is refused: the server could never answer it', (t) => {
  const error = t.throws(
    () => parseDefinition({ ...base, service: { name: 'sips.example.es', zone: 'example.org' } }, 'test'),
    {
      instanceOf: ConfigError,
    },
  );
  t.regex(error.message, /service\.zone: "example\.org": expected a zone containing sips\.example\.es/);
  t.notThrows(() => parseDefinition({ ...base, service: { name: 'sips.Example.ES', zone: 'example.es' } }, 'test'));
  t.notThrows(() => parseDefinition({ ...base, service: { name: 'example.es', zone: 'example.es' } }, 'test'));
});
