import test from 'ava';
import { buildUpdateScript, inSync } from '../../../src/dns/external/nsupdate-script.js';
import type { NameRecords } from '../../../src/dns/external/records.js';

const target = { server: '198.51.100.53', port: 53, zone: 'example.es' };
const at = (a?: string[], aaaa?: string[], ttlS = 30): NameRecords => ({
  name: 'sips.example.es',
  a: a && { ttlS, addresses: a },
  aaaa: aaaa && { ttlS, addresses: aaaa },
});

test('a move is one compare-and-swap: the exact current RRsets as prerequisites, then delete and add', (t) => {
  t.is(
    buildUpdateScript(target, at(['192.0.2.10']), at(['192.0.2.11'])),
    [
      'server 198.51.100.53 53',
      'zone example.es.',
      'prereq yxrrset sips.example.es. A 192.0.2.10',
      'prereq nxrrset sips.example.es. AAAA',
      'update delete sips.example.es. A',
      'update add sips.example.es. 30 A 192.0.2.11',
      'send',
      '',
    ].join('\n'),
  );
});

test('every current record is a prerequisite; only the types that differ are replaced', (t) => {
  const script = buildUpdateScript(
    target,
    at(['192.0.2.10', '192.0.2.12'], ['2001:db8::1']),
    at(['192.0.2.10', '192.0.2.12'], ['2001:db8::2', '2001:db8::3']),
  );
  t.deepEqual(script.trim().split('\n').slice(2), [
    'prereq yxrrset sips.example.es. A 192.0.2.10',
    'prereq yxrrset sips.example.es. A 192.0.2.12',
    'prereq yxrrset sips.example.es. AAAA 2001:db8::1',
    'update delete sips.example.es. AAAA',
    'update add sips.example.es. 30 AAAA 2001:db8::2',
    'update add sips.example.es. 30 AAAA 2001:db8::3',
    'send',
  ]);
});

test('an absent RRset is required absent (nxrrset) and gets no delete; an emptied one is only deleted', (t) => {
  const lines = buildUpdateScript(target, at(undefined, ['2001:db8::1']), at(['192.0.2.11']))
    .trim()
    .split('\n');
  t.deepEqual(lines.slice(2), [
    'prereq nxrrset sips.example.es. A',
    'prereq yxrrset sips.example.es. AAAA 2001:db8::1',
    'update add sips.example.es. 30 A 192.0.2.11',
    'update delete sips.example.es. AAAA',
    'send',
  ]);
});

test('a new TTL alone replaces the RRset; equal sets are in sync and need no update', (t) => {
  const lines = buildUpdateScript(target, at(['192.0.2.10'], undefined, 300), at(['192.0.2.10'], undefined, 30));
  t.true(lines.includes('update delete sips.example.es. A\nupdate add sips.example.es. 30 A 192.0.2.10\n'));
  t.false(inSync(at(['192.0.2.10'], undefined, 300), at(['192.0.2.10'], undefined, 30)));
  t.true(inSync(at(['192.0.2.10'], ['2001:db8::1']), at(['192.0.2.10'], ['2001:db8::1'])));
  t.false(inSync(at(['192.0.2.10']), at(['192.0.2.10'], ['2001:db8::1'])));
});

test('a line that could smuggle another command into the script is refused, not sent', (t) => {
  const error = t.throws(() =>
    buildUpdateScript(target, at(['192.0.2.10']), at(['192.0.2.11\nupdate delete example.es. NS'])),
  );
  t.is(error.message, 'unsafe word for an nsupdate script: "192.0.2.11\\nupdate delete example.es. NS"');
  t.throws(() => buildUpdateScript({ ...target, server: 'ns 1' }, at(['192.0.2.10']), at(['192.0.2.11'])), {
    message: 'unsafe word for an nsupdate script: "ns 1"',
  });
});
