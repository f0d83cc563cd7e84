import test from 'ava';
import {
  SipParseError,
  SipRequest,
  SipResponse,
  parseDatagram,
  type SipMessage,
} from '../../../src/sip/message/index.js';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

function options(extra: string[] = [], body = ''): Buffer {
  return crlf([
    'OPTIONS sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport',
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:bob@example.com>',
    'Call-ID: p1@192.0.2.1',
    'CSeq: 1 OPTIONS',
    ...extra,
    '',
    body,
  ]);
}

function failure(bytes: Buffer): SipParseError {
  try {
    parseDatagram(bytes);
  } catch (error) {
    if (error instanceof SipParseError) return error;
    throw error;
  }
  throw new Error('parsed without error');
}

test('a request is read: start line, essential headers, body by Content-Length', (t) => {
  const message = parseDatagram(options(['Content-Type: text/plain', 'Content-Length: 5'], 'hello'));
  t.true(message instanceof SipRequest);
  const request = message as SipRequest;
  t.is(request.method, 'OPTIONS');
  t.is(request.uri().toString(), 'sip:bob@example.com');
  t.is(request.topVia().branch, 'z9hG4bK1');
  t.is(request.from().tag, 'a1');
  t.is(request.to().tag, undefined);
  t.is(request.callId(), 'p1@192.0.2.1');
  t.deepEqual(request.cseq(), { seq: 1, method: 'OPTIONS' });
  t.is(request.maxForwards(), 70);
  t.is(request.body.toString(), 'hello');
});

test('an unchanged message in the usual form is written back byte for byte', (t) => {
  const bytes = options(['Content-Type: text/plain', 'Content-Length: 5'], 'hello');
  t.true(parseDatagram(bytes).toBuffer().equals(bytes));
});

test('a response is read, an empty reason phrase included (RFC 4475 noreason)', (t) => {
  const bytes = crlf([
    'SIP/2.0 100 ',
    'Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe',
    'Call-ID: noreason.asndj203insdf99223ndf',
    'CSeq: 35 INVITE',
    'From: <sip:user@example.com>;tag=39ansfi3',
    'To: <sip:user@example.edu>;tag=902jndnke3',
    'Content-Length: 0',
    '',
    '',
  ]);
  const message = parseDatagram(bytes) as SipResponse;
  t.true(message instanceof SipResponse);
  t.is(message.status, 100);
  t.is(message.reason, '');
  t.is(message.cseq().method, 'INVITE');
});

test('bytes after Content-Length in a datagram are discarded (RFC 4475 dblreq)', (t) => {
  const second = 'INVITE sip:joe@example.org SIP/2.0\r\n\r\n';
  const message = parseDatagram(Buffer.concat([options(['Content-Length: 0']), Buffer.from(second)]));
  t.is(message.body.length, 0);
});

test('without Content-Length a datagram body is the rest of the datagram', (t) => {
  t.is(parseDatagram(options([], 'abc')).body.toString(), 'abc');
});

test('folding is undone and compact forms expanded', (t) => {
  const message = parseDatagram(
    crlf([
      'OPTIONS sip:bob@example.com SIP/2.0',
      'v: SIP/2.0/UDP 192.0.2.1',
      '  ;branch=z9hG4bK1',
      'f: <sip:alice@example.com>',
      '\t;tag=a1',
      't: <sip:bob@example.com>',
      'i: p2',
      'CSeq: 1',
      ' OPTIONS',
      'Subject: one',
      '  two',
      'l: 0',
      '',
      '',
    ]),
  );
  t.is(message.topVia().branch, 'z9hG4bK1');
  t.is(message.from().tag, 'a1');
  t.is(message.callId(), 'p2');
  t.is(message.headers.get('subject'), 'one two');
  t.true(message.toString().includes('\r\nCall-ID: p2\r\n'));
  t.true(message.toString().includes('\r\nContent-Length: 0\r\n'));
});

const answerable: [string, Buffer, string, number][] = [
  [
    'Content-Length beyond the datagram (clerr)',
    options(['Content-Length: 10'], 'abc'),
    'Bad Content-Length header',
    400,
  ],
  ['negative Content-Length (ncl)', options(['Content-Length: -999']), 'Bad Content-Length header', 400],
  [
    'two different Content-Length (mcl01)',
    options(['Content-Length: 0', 'Content-Length: 3'], 'abc'),
    'Bad Content-Length header',
    400,
  ],
  ['a line without colon', options(['Not a header']), 'Bad header line', 400],
  ['a bare LF in a value', options(['Subject: a\nb']), 'Bad header line', 400],
  ['a bare CR in a value', options(['Subject: a\rb']), 'Bad header line', 400],
  ['two Max-Forwards headers', options(['Max-Forwards: 69']), 'Multiple Max-Forwards headers', 400],
  [
    'Max-Forwards over 255 (scalar02)',
    Buffer.from(options().toString().replace('Max-Forwards: 70', 'Max-Forwards: 300')),
    'Bad Max-Forwards header',
    400,
  ],
  ['no end of headers', options().subarray(0, options().length - 2), 'Truncated message', 400],
];
for (const [name, bytes, reason, status] of answerable) {
  test(`a malformed request that can be answered carries the request: ${name}`, (t) => {
    const error = failure(bytes);
    t.is(error.reason, reason);
    t.is(error.status, status);
    t.true(error.request instanceof SipRequest);
    t.is(error.request?.callId(), 'p1@192.0.2.1');
  });
}

test('request lines: version, spacing and URI problems can be answered', (t) => {
  const withLine = (line: string) =>
    Buffer.concat([Buffer.from(`${line}\r\n`), options().subarray(options().indexOf('\r\n') + 2)]);
  t.is(failure(withLine('OPTIONS sip:bob@example.com SIP/3.0')).status, 505);
  t.is(failure(withLine('OPTIONS sip:bob@example.com sip/2.1')).reason, 'Version Not Supported');
  for (const line of [
    'OPTIONS  sip:bob@example.com SIP/2.0',
    'OPTIONS sip:bob@example.com SIP/2.0 ',
    'OPTIONS sip:bob@example.com; lr SIP/2.0',
    'OPTIONS sip:bob@example.com',
    'OPTIONS sip:bob@example.com SIP/2',
  ]) {
    const error = failure(withLine(line));
    t.is(error.reason, 'Malformed Request-Line', line);
    t.truthy(error.request, line);
  }
  t.is(failure(withLine('OPTIONS <sip:bob@example.com> SIP/2.0')).reason, 'Bad Request-URI');
  t.is(failure(withLine('OPTIONS sip:bob@example.com?Route=x SIP/2.0')).reason, 'Bad Request-URI');
  t.is(failure(withLine('INVITE sip:bob@example.com SIP/2.0')).reason, 'CSeq method does not match the request method');
  t.true(
    parseDatagram(withLine('OPTIONS sip:bob@example.com sip/2.0')) instanceof SipRequest,
    'the version is case-insensitive',
  );
});

const unanswerable: [string, Buffer][] = [
  ['not a start line', Buffer.from('\u0001\u0002\r\n\r\n')],
  [
    'no Via',
    crlf([
      'OPTIONS sip:b@example.com SIP/2.0',
      'From: <sip:a@x>;tag=1',
      'To: <sip:b@x>',
      'Call-ID: c',
      'CSeq: 1 OPTIONS',
      '',
      '',
    ]),
  ],
  ['a broken status line', crlf(['SIP/2.0 2000 OK', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', '', ''])],
  ['a status below 100', crlf(['SIP/2.0 099 Odd', '', ''])],
  [
    'a response with a header problem',
    crlf([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'From: <sip:a@x>;tag=1',
      'To: <sip:b@x>',
      'Call-ID: c',
      'CSeq: 1 OPTIONS',
      'Broken line',
      '',
      '',
    ]),
  ],
  ['an empty datagram', Buffer.alloc(0)],
];
for (const [name, bytes] of unanswerable) {
  test(`a message that cannot be answered has no request: ${name}`, (t) => {
    t.is(failure(bytes).request, undefined);
  });
}

test('size limits: over the message size is 513, over the header count 400', (t) => {
  const big = options(['Content-Length: 2000'], 'x'.repeat(2000));
  t.notThrows(() => parseDatagram(big));
  const tooBig = failure2(() => parseDatagram(big, { maxMessageBytes: 1024, maxHeaders: 64 }));
  t.is(tooBig.status, 513);
  t.is(tooBig.reason, 'Message Too Large');
  t.truthy(tooBig.request);
  const many = options(Array.from({ length: 70 }, (_, i) => `X-H: ${i}`));
  const tooMany = failure2(() => parseDatagram(many, { maxMessageBytes: 65535, maxHeaders: 64 }));
  t.is(tooMany.reason, 'Too many headers');
  t.truthy(tooMany.request);
});

function failure2(run: () => SipMessage): SipParseError {
  try {
    run();
  } catch (error) {
    if (error instanceof SipParseError) return error;
    throw error;
  }
  throw new Error('no error');
}
