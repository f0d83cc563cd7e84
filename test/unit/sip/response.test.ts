import test from 'ava';
import { createResponse, parseDatagram, reasonPhrase, type SipRequest } from '../../../src/sip/message/index.js';

const request = parseDatagram(
  Buffer.from(
    [
      'INVITE sip:bob@example.com SIP/2.0',
      'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1;received=192.0.2.3',
      'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKc1;rport=40000;received=198.51.100.7',
      'Max-Forwards: 69',
      'From: "Alice" <sip:alice@example.com>;tag=a1',
      'To: sip:bob@example.com',
      'Call-ID: call-1@10.0.0.5',
      'CSeq: 314 INVITE',
      'Record-Route: <sip:proxy.example.com;lr>',
      'Contact: <sip:alice@10.0.0.5:5062>',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  ),
) as SipRequest;

test('a response copies Via, From, To, Call-ID and CSeq as written and adds a To tag', (t) => {
  const response = createResponse(request, 486);
  t.is(response.status, 486);
  t.is(response.reason, 'Busy Here');
  t.deepEqual(response.headers.lines('via'), request.headers.lines('via'));
  t.is(response.headers.get('from'), '"Alice" <sip:alice@example.com>;tag=a1');
  t.regex(response.headers.get('to')!, /^sip:bob@example\.com;tag=[0-9a-f]{16}$/);
  t.is(response.callId(), 'call-1@10.0.0.5');
  t.deepEqual(response.cseq(), { seq: 314, method: 'INVITE' });
  t.false(response.headers.has('record-route'));
  t.false(response.headers.has('contact'));
  t.true(response.toString().startsWith('SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP proxy.example.com;'));
  t.true(response.toString().endsWith('Content-Length: 0\r\n\r\n'));
});

test('no To tag on 100 Trying; a given tag, extra headers and a body', (t) => {
  t.is(createResponse(request, 100).to().tag, undefined);
  const response = createResponse(request, 200, 'Fine', {
    toTag: 'b2',
    headers: [['Contact', '<sip:bob@192.0.2.9>']],
    body: Buffer.from('v=0\r\n'),
  });
  t.is(response.to().tag, 'b2');
  t.is(response.reason, 'Fine');
  t.is(response.headers.get('contact'), '<sip:bob@192.0.2.9>');
  t.regex(response.toString(), /Content-Length: 5\r\n\r\nv=0\r\n$/);
});

test('a To tag already there is kept; two responses get different tags', (t) => {
  const first = createResponse(request, 180).to().tag;
  const second = createResponse(request, 180).to().tag;
  t.not(first, second);
  const inDialog = parseDatagram(
    Buffer.from(request.toString().replace('To: sip:bob@example.com', 'To: sip:bob@example.com;tag=b1')),
  ) as SipRequest;
  t.is(createResponse(inDialog, 200).headers.get('to'), 'sip:bob@example.com;tag=b1');
});

test('bad status codes and reason phrases are refused', (t) => {
  t.throws(() => createResponse(request, 99));
  t.throws(() => createResponse(request, 700));
  t.throws(() => createResponse(request, 400, 'Bad\r\nVia: x'));
  t.is(reasonPhrase(513), 'Message Too Large');
  t.is(reasonPhrase(499), 'Unknown');
});
