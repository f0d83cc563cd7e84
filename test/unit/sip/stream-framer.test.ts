import test from 'ava';
import { SipParseError, StreamFramer, type SipMessage } from '../../../src/sip/message/index.js';

interface Seen {
  messages: SipMessage[];
  keepAlives: number;
  errors: { error: SipParseError; fatal: boolean }[];
}

function framer(limits = { maxMessageBytes: 4096, maxHeaders: 64 }): { framer: StreamFramer; seen: Seen } {
  const seen: Seen = { messages: [], keepAlives: 0, errors: [] };
  const instance = new StreamFramer(
    {
      message: (message) => seen.messages.push(message),
      keepAlive: () => seen.keepAlives++,
      error: (error, fatal) => seen.errors.push({ error, fatal }),
    },
    limits,
  );
  return { framer: instance, seen };
}

function request(id: string, body = '', extra: string[] = []): Buffer {
  return Buffer.from(
    [
      'MESSAGE sip:bob@example.com SIP/2.0',
      `Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK${id}`,
      'From: <sip:alice@example.com>;tag=a',
      'To: <sip:bob@example.com>',
      `Call-ID: ${id}`,
      'CSeq: 1 MESSAGE',
      ...extra,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

test('messages back to back, split at every byte, come out whole and in order', (t) => {
  const stream = Buffer.concat([request('m1', 'hello'), request('m2'), request('m3', 'héllo wörld')]);
  for (const size of [1, 2, 3, 7, 64, stream.length]) {
    const { framer: f, seen } = framer();
    for (let i = 0; i < stream.length; i += size) f.push(stream.subarray(i, i + size));
    t.deepEqual(
      seen.messages.map((m) => [m.callId(), m.body.toString()]),
      [
        ['m1', 'hello'],
        ['m2', ''],
        ['m3', 'héllo wörld'],
      ],
      `chunks of ${size}`,
    );
    t.is(seen.errors.length, 0);
    t.is(f.buffered, 0);
  }
});

test('CRLFCRLF between messages is a keep-alive ping; a lone CRLF before a start line is skipped', (t) => {
  const { framer: f, seen } = framer();
  f.push(Buffer.from('\r\n\r\n'));
  t.is(seen.keepAlives, 1);
  f.push(Buffer.from('\r\n'));
  t.is(seen.keepAlives, 1, 'half a ping: wait');
  f.push(Buffer.from('\r'));
  f.push(Buffer.from('\n'));
  t.is(seen.keepAlives, 2, 'the ping completed across chunks');
  f.push(Buffer.concat([Buffer.from('\r\n'), request('after')]));
  t.is(seen.messages.length, 1);
  t.is(seen.keepAlives, 2);
  f.push(Buffer.concat([Buffer.from('\r\n\r\n\r\n\r\n'), request('again')]));
  t.is(seen.keepAlives, 4);
  t.is(seen.messages.length, 2);
});

test('a bad message with intact framing is reported alone and the stream goes on', (t) => {
  const { framer: f, seen } = framer();
  f.push(Buffer.concat([request('bad', '', ['Max-Forwards: 999']), request('good')]));
  t.is(seen.errors.length, 1);
  t.false(seen.errors[0]!.fatal);
  t.is(seen.errors[0]!.error.reason, 'Bad Max-Forwards header');
  t.is(seen.errors[0]!.error.request?.callId(), 'bad');
  t.is(seen.messages.length, 1);
  t.is(seen.messages[0]!.callId(), 'good');
});

const fatal: [string, Buffer, string, boolean][] = [
  [
    'no Content-Length',
    Buffer.from(request('x').toString().replace('Content-Length: 0\r\n', '')),
    'Missing Content-Length header',
    true,
  ],
  [
    'a negative Content-Length',
    Buffer.from(request('x').toString().replace('Content-Length: 0', 'Content-Length: -1')),
    'Bad Content-Length header',
    true,
  ],
  [
    'a body over the size limit',
    Buffer.from(request('x').toString().replace('Content-Length: 0', 'Content-Length: 5000')),
    'Message Too Large',
    true,
  ],
  ['not SIP at all', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'Malformed Request-Line', false],
  ['a broken status line', Buffer.from('SIP/2.0 20 OK\r\n\r\n'), 'Bad Status-Line', false],
];
for (const [name, bytes, reason, answerable] of fatal) {
  test(`framing lost: ${name} is fatal and nothing after it is read`, (t) => {
    const { framer: f, seen } = framer();
    f.push(Buffer.concat([bytes, request('later')]));
    t.is(seen.errors.length, 1);
    t.true(seen.errors[0]!.fatal);
    t.is(seen.errors[0]!.error.reason, reason);
    t.is(seen.errors[0]!.error.request !== undefined, answerable);
    f.push(request('even-later'));
    t.is(seen.messages.length, 0);
  });
}

test('headers that never end within the size limit are fatal, without answer', (t) => {
  const { framer: f, seen } = framer({ maxMessageBytes: 1024, maxHeaders: 64 });
  f.push(Buffer.from('OPTIONS sip:a@example.com SIP/2.0\r\nX-Long: '));
  for (let i = 0; i < 20 && seen.errors.length === 0; i++) f.push(Buffer.alloc(100, 0x61));
  t.is(seen.errors.length, 1);
  t.true(seen.errors[0]!.fatal);
  t.is(seen.errors[0]!.error.status, 513);
  t.is(seen.errors[0]!.error.request, undefined);
});
