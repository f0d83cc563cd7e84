import test from 'ava';
import { HeaderList, headerKey } from '../../../src/sip/message/index.js';

test('compact forms and any case name the same header', (t) => {
  const pairs: [string, string][] = [
    ['v', 'via'],
    ['VIA', 'via'],
    ['i', 'call-id'],
    ['m', 'contact'],
    ['f', 'from'],
    ['t', 'to'],
    ['l', 'content-length'],
    ['k', 'supported'],
    ['c', 'content-type'],
    ['s', 'subject'],
    ['e', 'content-encoding'],
    ['o', 'event'],
    ['u', 'allow-events'],
    ['r', 'refer-to'],
    ['X-Custom', 'x-custom'],
  ];
  for (const [written, key] of pairs) t.is(headerKey(written), key);
  const headers = HeaderList.of([
    ['v', 'SIP/2.0/UDP a'],
    ['i', 'abc'],
  ]);
  t.is(headers.get('Via'), 'SIP/2.0/UDP a');
  t.is(headers.get('call-id'), 'abc');
  t.deepEqual(
    [...headers].map((f) => f.name),
    ['Via', 'Call-ID'],
    'compact names are written in full',
  );
});

test('list headers split on commas outside quotes and angle brackets; others never split', (t) => {
  const headers = HeaderList.of([
    ['Contact', '"Doe, John" <sip:a@example.com;x=1,2>, <sip:b@example.com>;q=0.5'],
    ['Contact', '<sip:c@example.com>'],
    ['Date', 'Sat, 13 Nov 2010 23:29:00 GMT'],
    ['UnknownHeaderWithUnusualValue', ';;,,;;,;'],
    ['Allow', 'INVITE, ,ACK'],
  ]);
  t.deepEqual(headers.getAll('contact'), [
    '"Doe, John" <sip:a@example.com;x=1,2>',
    '<sip:b@example.com>;q=0.5',
    '<sip:c@example.com>',
  ]);
  t.deepEqual(headers.getAll('date'), ['Sat, 13 Nov 2010 23:29:00 GMT']);
  t.deepEqual(headers.getAll('UnknownHeaderWithUnusualValue'), [';;,,;;,;']);
  t.deepEqual(headers.getAll('allow'), ['INVITE', 'ACK'], 'empty list elements are left out');
  t.is(headers.count('contact'), 2);
});

test('set, append, prepend, remove keep the order of the other fields', (t) => {
  const headers = HeaderList.of([
    ['Via', 'SIP/2.0/UDP a, SIP/2.0/UDP b'],
    ['From', '<sip:x@y>'],
    ['Route', '<sip:r1>'],
    ['Route', '<sip:r2>'],
  ]);
  headers.prepend('Via', 'SIP/2.0/UDP proxy');
  headers.append('Route', '<sip:r3>');
  headers.set('from', '<sip:z@y>');
  headers.append('max-forwards', '69');
  t.deepEqual(
    [...headers].map((f) => `${f.name}: ${f.value}`),
    [
      'Via: SIP/2.0/UDP proxy',
      'Via: SIP/2.0/UDP a, SIP/2.0/UDP b',
      'From: <sip:z@y>',
      'Route: <sip:r1>',
      'Route: <sip:r2>',
      'Route: <sip:r3>',
      'Max-Forwards: 69',
    ],
  );
  t.is(headers.removeFirst('Via'), 'SIP/2.0/UDP proxy');
  t.is(headers.removeFirst('Via'), 'SIP/2.0/UDP a');
  t.deepEqual(headers.getAll('via'), ['SIP/2.0/UDP b'], 'the other value of the line stays');
  headers.replaceFirst('Via', 'SIP/2.0/UDP b;received=192.0.2.9');
  t.deepEqual(headers.getAll('via'), ['SIP/2.0/UDP b;received=192.0.2.9']);
  t.is(headers.remove('route'), 3);
  t.false(headers.has('Route'));
});

test('code cannot put a line break into a header (no header injection)', (t) => {
  const headers = new HeaderList();
  t.throws(() => headers.append('Subject', 'hi\r\nVia: evil'), { instanceOf: TypeError });
  t.throws(() => headers.set('Subject', ['ok', 'bad\n']), { instanceOf: TypeError });
  t.throws(() => headers.append('Bad Name', 'x'), { instanceOf: TypeError });
  t.is(headers.length, 0);
});

test('a typed view is cached until its header changes', (t) => {
  const headers = HeaderList.of([['Call-ID', 'a']]);
  let parses = 0;
  const view = () => headers.parsed('call-id', 'one', () => ++parses);
  t.is(view(), 1);
  t.is(view(), 1);
  headers.set('Call-ID', 'b');
  t.is(view(), 2);
  headers.append('X-Other', 'x');
  t.is(view(), 2, 'other headers do not invalidate it');
});
