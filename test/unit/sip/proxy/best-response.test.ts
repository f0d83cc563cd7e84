import test from 'ava';
import { parseDatagram, type SipRequest, type SipResponse } from '../../../../src/sip/message/index.js';
import { bestResponse, localResponse } from '../../../../src/sip/proxy/best-response.js';
import { requestText } from './harness.js';

const request = parseDatagram(Buffer.from(requestText('INVITE', 'sip:bob@example.test'))) as SipRequest;
const from = (status: number, extra = '') =>
  parseDatagram(
    Buffer.from(
      `SIP/2.0 ${status} R\r\nVia: SIP/2.0/UDP 203.0.113.5:40000;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n` +
        `To: <sip:bob@example.test>;tag=${status}\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n${extra}Content-Length: 0\r\n\r\n`,
    ),
  ) as SipResponse;

test('a 6xx beats every other class; otherwise the lowest class wins', (t) => {
  t.is(bestResponse([from(302), from(486), from(603)], request).status, 603);
  t.is(bestResponse([from(486), from(302), from(500)], request).status, 302);
  t.is(bestResponse([from(500), from(404)], request).status, 404);
});

test('within 4xx, an answer that lets the caller retry comes first; a network answer before one we made', (t) => {
  t.is(bestResponse([from(486), from(407), from(404)], request).status, 407);
  t.is(bestResponse([localResponse(request, 408), from(480)], request).status, 480);
});

test('a 503 goes up as 500 (a 503 would say this proxy is unavailable); nothing at all gives 500', (t) => {
  const chosen = bestResponse([localResponse(request, 503)], request);
  t.is(chosen.status, 500);
  t.is(chosen.topVia().branch, request.topVia().branch, 'answers the request as received');
  t.is(bestResponse([], request).status, 500);
});
