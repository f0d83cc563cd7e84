import test from 'ava';
import { message, refused, sdp, usual } from './torture.js';

// The invalid messages of RFC 4475, each in a message of our own: refused with the error that the transport answers
// (`request` set), or that it drops (no `request`: a response, an ACK, or Via/Call-ID/CSeq unreadable).

/** Cases the RFC calls invalid: the reason we answer with, or null when nothing can be answered. */
const invalid: [string, string[], string | null][] = [
  [
    '3.1.2.1 extraneous separators in Via (badinv01)',
    [
      'OPTIONS sip:user@example.com SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.15;;,;,,',
      ...usual('OPTIONS', 'badinv01').slice(1),
      'l: 0',
    ],
    null,
  ],
  [
    '3.1.2.4 overlarge CSeq (scalar02)',
    [
      'REGISTER sip:example.com SIP/2.0',
      ...usual('REGISTER', 'scalar02').slice(0, 5),
      'CSeq: 36893488147419103232 REGISTER',
      'l: 0',
    ],
    null,
  ],
  [
    '3.1.2.5 overlarge status code (bigcode)',
    ['SIP/2.0 4294967301 better not break the receiver', ...usual('INVITE', 'bigcode'), 'l: 0'],
    null,
  ],
  [
    '3.1.2.5 overlarge values in a response (scalarlg)',
    ['SIP/2.0 503 Service Unavailable', ...usual('OPTIONS', 'scalarlg'), 'Content-Length: 18446744073709551617'],
    null,
  ],
  [
    '3.1.2.6 unterminated quoted string (quotbal)',
    [
      'INVITE sip:user@example.com SIP/2.0',
      'To: "Mr. J. User <sip:j.user@example.com>',
      ...usual('INVITE', 'quotbal').filter((h) => !h.startsWith('To')),
      'l: 0',
    ],
    'Bad To header',
  ],
  [
    '3.1.2.7 <> around the Request-URI (ltgtruri)',
    ['INVITE <sip:user@example.com> SIP/2.0', ...usual('INVITE', 'ltgtruri'), 'l: 0'],
    'Bad Request-URI',
  ],
  [
    '3.1.2.8 LWS in the Request-URI (lwsruri)',
    ['INVITE sip:user@example.com; lr SIP/2.0', ...usual('INVITE', 'lwsruri'), 'l: 0'],
    'Malformed Request-Line',
  ],
  [
    '3.1.2.9 several SP in the request line (lwsstart)',
    ['INVITE  sip:user@example.com  SIP/2.0', ...usual('INVITE', 'lwsstart'), 'l: 0'],
    'Malformed Request-Line',
  ],
  [
    '3.1.2.10 SP at the end of the request line (trws)',
    ['OPTIONS sip:remote-target@example.com SIP/2.0  ', ...usual('OPTIONS', 'trws'), 'l: 0'],
    'Malformed Request-Line',
  ],
  [
    '3.1.2.11 escaped headers in the Request-URI (escruri)',
    ['INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0', ...usual('INVITE', 'escruri'), 'l: 0'],
    'Bad Request-URI',
  ],
  [
    '3.1.2.14 spaces inside the addr-spec (badaspec)',
    [
      'OPTIONS sip:user@example.org SIP/2.0',
      'To: "Watson, Thomas" < sip:t.watson@example.org >',
      ...usual('OPTIONS', 'badaspec').filter((h) => !h.startsWith('To')),
      'l: 0',
    ],
    'Bad To header',
  ],
  [
    '3.1.2.15 unquoted non-token display name (baddn)',
    [
      'OPTIONS sip:t.watson@example.org SIP/2.0',
      'From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43',
      ...usual('OPTIONS', 'baddn').filter((h) => !h.startsWith('From')),
      'l: 0',
    ],
    'Bad From header',
  ],
  [
    '3.1.2.16 unknown protocol version (badvers)',
    ['OPTIONS sip:t.watson@example.org SIP/7.0', ...usual('OPTIONS', 'badvers'), 'l: 0'],
    'Version Not Supported',
  ],
  [
    '3.1.2.17 start line and CSeq method mismatch (mismatch01)',
    ['OPTIONS sip:user@example.com SIP/2.0', ...usual('INVITE', 'mismatch01'), 'l: 0'],
    'CSeq method does not match the request method',
  ],
  [
    '3.1.2.18 unknown method, CSeq mismatch (mismatch02)',
    ['NEWMETHOD sip:user@example.com SIP/2.0', ...usual('INVITE', 'mismatch02'), 'l: 0'],
    'CSeq method does not match the request method',
  ],
  [
    '3.3.1 missing Call-ID, From and To (insuf)',
    [
      'INVITE sip:user@example.com SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKinsuf',
      'CSeq: 1 INVITE',
      'Max-Forwards: 70',
      'l: 0',
    ],
    null,
  ],
  [
    '3.3.8 two single-valued headers (multi01)',
    ['INVITE sip:user@company.com SIP/2.0', ...usual('INVITE', 'multi01'), 'Call-ID: other@192.0.2.7', 'l: 0'],
    null,
  ],
  [
    '3.3.9 several Content-Length values (mcl01)',
    ['OPTIONS sip:user@example.com SIP/2.0', ...usual('OPTIONS', 'mcl01'), 'Content-Length: 0', 'Content-Length: 8'],
    'Bad Content-Length header',
  ],
];
for (const [name, lines, reason] of invalid) {
  test(name, (t) => {
    const error = refused(message(lines));
    if (reason === null) {
      t.is(error.request, undefined, `answered with ${error.reason}`);
    } else {
      t.is(error.reason, reason);
      t.truthy(error.request);
    }
  });
}

test('3.1.2.2 Content-Length larger than the message (clerr) and 3.1.2.3 negative (ncl)', (t) => {
  const clerr = refused(
    message(['INVITE sip:user@example.com SIP/2.0', ...usual('INVITE', 'clerr'), 'Content-Length: 9999'], sdp),
  );
  t.is(clerr.reason, 'Bad Content-Length header');
  t.truthy(clerr.request);
  const ncl = refused(
    message(['INVITE sip:user@example.com SIP/2.0', ...usual('INVITE', 'ncl'), 'Content-Length: -999'], sdp),
  );
  t.is(ncl.reason, 'Bad Content-Length header');
});

test('an ACK is never answered, whatever is wrong with it (RFC 3261 17.2.3)', (t) => {
  const badFrom = refused(
    message([
      'ACK sip:user@example.com SIP/2.0',
      'From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43',
      ...usual('ACK', 'ackbaddn').filter((h) => !h.startsWith('From')),
      'l: 0',
    ]),
  );
  t.is(badFrom.reason, 'Bad From header');
  t.is(badFrom.request, undefined);
  const badMaxForwards = refused(
    message([
      'ACK sip:user@example.com SIP/2.0',
      ...usual('ACK', 'ackmf').filter((h) => !h.startsWith('Max-Forwards')),
      'Max-Forwards: many',
      'l: 0',
    ]),
  );
  t.is(badMaxForwards.reason, 'Bad Max-Forwards header');
  t.is(badMaxForwards.request, undefined);
});
