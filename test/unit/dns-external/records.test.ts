import test from 'ava';
import {
  InvalidRecordsError,
  canonicalIPv6,
  describeRecords,
  normalizeDesired,
  sameRecords,
  toDesired,
} from '../../../src/dns/external/records.js';

const desired = (overrides: Record<string, unknown> = {}) =>
  ({ name: 'sips.example.es', ttlS: 30, a: ['192.0.2.10'], aaaa: [], ...overrides }) as never;

test('desired records are put in one canonical form: lower-case name, RFC 5952 IPv6, sorted, no duplicates', (t) => {
  const records = normalizeDesired(
    desired({ name: 'SIPS.Example.ES.', a: ['192.0.2.12', '192.0.2.10', '192.0.2.12'], aaaa: ['2001:0DB8:0:0::0001'] }),
    'example.es',
  );
  t.deepEqual(records, {
    name: 'sips.example.es',
    a: { ttlS: 30, addresses: ['192.0.2.10', '192.0.2.12'] },
    aaaa: { ttlS: 30, addresses: ['2001:db8::1'] },
  });
  t.is(describeRecords(records), 'sips.example.es A 192.0.2.10 192.0.2.12 (ttl 30), AAAA 2001:db8::1 (ttl 30)');
  t.deepEqual(toDesired(records), {
    name: 'sips.example.es',
    ttlS: 30,
    a: ['192.0.2.10', '192.0.2.12'],
    aaaa: ['2001:db8::1'],
  });
  t.is(canonicalIPv6('::ffff:1.2.3.4'), '::ffff:102:304');
});

test('an empty list means no RRset of that type; the zone apex itself is inside the zone', (t) => {
  const records = normalizeDesired(desired({ name: 'example.es', a: [], aaaa: [] }), 'example.es');
  t.deepEqual(records, { name: 'example.es', a: undefined, aaaa: undefined });
  t.is(describeRecords(records), 'example.es A none, AAAA none');
});

test('each invalid field is named with its value', (t) => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ name: 'sips.example.com' }, /^name sips\.example\.com is not inside zone example\.es$/],
    [{ name: 'badexample.es' }, /not inside zone example\.es/],
    [{ name: 'sips..example.es' }, /^name "sips\.\.example\.es" is not a valid domain name$/],
    [{ name: 'sips example.es' }, /not a valid domain name/],
    [{ ttlS: -1 }, /^ttlS -1 is not a TTL/],
    [{ ttlS: 1.5 }, /^ttlS 1\.5 is not a TTL/],
    [{ a: ['192.0.2.300'] }, /^a: "192\.0\.2\.300" is not an IPv4 address$/],
    [{ a: ['2001:db8::1'] }, /^a: "2001:db8::1" is not an IPv4 address$/],
    [{ aaaa: ['192.0.2.1'] }, /^aaaa: "192\.0\.2\.1" is not an IPv6 address$/],
    [{ aaaa: 'x' }, /^aaaa is not a list of addresses$/],
  ];
  for (const [overrides, message] of cases) {
    const error = t.throws(() => normalizeDesired(desired(overrides), 'example.es'), {
      instanceOf: InvalidRecordsError,
    });
    t.regex(error.message, message, JSON.stringify(overrides));
  }
});

test('something that is not a record set at all is refused the same way', (t) => {
  for (const value of [null, undefined, 'sips.example.es']) {
    t.throws(() => normalizeDesired(value as never, 'example.es'), {
      instanceOf: InvalidRecordsError,
      message: 'the record set is not an object',
    });
  }
});

test('records compare equal only with the same name, TTL and addresses', (t) => {
  const base = normalizeDesired(desired(), 'example.es');
  t.true(sameRecords(base, normalizeDesired(desired({ a: ['192.0.2.10', '192.0.2.10'] }), 'example.es')));
  t.false(sameRecords(base, normalizeDesired(desired({ ttlS: 60 }), 'example.es')));
  t.false(sameRecords(base, normalizeDesired(desired({ aaaa: ['::1'] }), 'example.es')));
  t.false(sameRecords(base, normalizeDesired(desired({ name: 'sip.example.es' }), 'example.es')));
});
