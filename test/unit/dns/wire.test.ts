import test from 'ava';
import { RCODE, isInZone, nameKeyOf, nameOfKey, parseQuery } from '../../../src/dns/wire.js';
import { query } from './fixture.js';

test('a query from dig: name key lower-cased, type, class, EDNS payload and DO bit', (t) => {
  const parsed = parseQuery(query('SiPs.Example.ES', 'SRV', { edns: { payload: 4096, dnssecOk: true } }));
  if (parsed.kind !== 'query') return t.fail(`parsed as ${parsed.kind}`);
  t.is(parsed.nameKey, nameKeyOf('sips.example.es'));
  t.is(nameOfKey(parsed.nameKey), 'sips.example.es');
  t.is(parsed.qtype, 33);
  t.is(parsed.qclass, 1);
  t.deepEqual(parsed.edns, { payload: 4096, version: 0, dnssecOk: true });
  t.is(parsed.questionEnd, 12 + 17 + 4);
});

test('a query without EDNS has none', (t) => {
  const parsed = parseQuery(query('example.es', 'A', { edns: false }));
  t.is(parsed.kind, 'query');
  t.is(parsed.kind === 'query' ? parsed.edns : 'x', undefined);
});

test('shapes that are not answerable: dropped, FORMERR, NOTIMP, or handed to the slow path', (t) => {
  const valid = query('example.es', 'A');
  const withFlags = (flags: number) => {
    const copy = Buffer.from(valid);
    copy.writeUInt16BE(flags, 2);
    return copy;
  };
  const withCount = (at: number, count: number) => {
    const copy = Buffer.from(valid);
    copy.writeUInt16BE(count, at);
    return copy;
  };
  t.deepEqual(parseQuery(Buffer.alloc(11)), { kind: 'drop' }, 'shorter than a header');
  t.deepEqual(parseQuery(withFlags(0x8000)), { kind: 'drop' }, 'a response');
  t.deepEqual(parseQuery(withFlags(0x2000)), { kind: 'error', rcode: RCODE.NOTIMP }, 'opcode UPDATE');
  t.deepEqual(parseQuery(withCount(4, 0)), { kind: 'error', rcode: RCODE.FORMERR }, 'no question');
  t.deepEqual(parseQuery(withCount(4, 2)), { kind: 'error', rcode: RCODE.FORMERR }, 'two questions');
  t.deepEqual(parseQuery(withCount(6, 1)), { kind: 'unusual' }, 'an answer record in a query');
  t.deepEqual(parseQuery(withCount(10, 2)), { kind: 'unusual' }, 'two additional records');
  t.deepEqual(parseQuery(valid.subarray(0, 20)), { kind: 'error', rcode: RCODE.FORMERR }, 'name cut short');
  t.deepEqual(parseQuery(valid.subarray(0, 12 + 12 + 2)), { kind: 'error', rcode: RCODE.FORMERR }, 'type cut');
  t.deepEqual(parseQuery(valid.subarray(0, valid.length - 3)), { kind: 'error', rcode: RCODE.FORMERR }, 'OPT cut');
  const pointer = Buffer.from(valid);
  pointer[12] = 0xc0;
  t.deepEqual(parseQuery(pointer), { kind: 'unusual' }, 'a compressed question');
  const reserved = Buffer.from(valid);
  reserved[12] = 0x40;
  t.deepEqual(parseQuery(reserved), { kind: 'error', rcode: RCODE.FORMERR }, 'a reserved label type');
});

test('a name longer than 255 bytes is a FORMERR', (t) => {
  const labels = Array.from({ length: 5 }, () => 'a'.repeat(60));
  const long = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]),
    ...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)])),
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  t.deepEqual(parseQuery(long), { kind: 'error', rcode: RCODE.FORMERR });
});

test('zone membership ends at a label boundary', (t) => {
  const zone = nameKeyOf('example.es');
  t.true(isInZone(nameKeyOf('example.es'), zone));
  t.true(isInZone(nameKeyOf('a.b.example.es'), zone));
  t.false(isInZone(nameKeyOf('example.org'), zone));
  t.false(isInZone(nameKeyOf('es'), zone));
  // One label "a\x07example\x02es" ends with the zone's bytes but is a single label under the root.
  const oneLabel = `${String.fromCharCode(14)}a${String.fromCharCode(7)}example${String.fromCharCode(2)}es\0`;
  t.true(oneLabel.endsWith(zone));
  t.false(isInZone(oneLabel, zone));
});
