import test from 'ava';
import { acceptKey, checkUpgrade, type UpgradeRequest } from '../../../../src/sip/transport/ws-handshake.js';

// The opening handshake of SIP over WebSocket: RFC 6455's example key, and the answer to each way an upgrade is not
// one we serve.

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function request(headers: Record<string, string>, more: Partial<UpgradeRequest> = {}): UpgradeRequest {
  return {
    method: 'GET',
    url: '/sip?token=1',
    httpVersion: '1.1',
    headers: {
      upgrade: 'websocket',
      connection: 'keep-alive, Upgrade',
      'sec-websocket-key': KEY,
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'chat, SIP',
      ...headers,
    },
    ...more,
  };
}

test('RFC 6455 1.3: the accept value of the sample key', (t) => {
  t.is(acceptKey(KEY), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('a SIP upgrade is accepted with 101, the accept value and the sip subprotocol', (t) => {
  const verdict = checkUpgrade(request({}), '/sip');
  t.true(verdict.ok);
  t.is(
    verdict.response,
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n',
  );
  t.true(checkUpgrade(request({}, { url: '/anything' }), undefined).ok, 'any path when none is configured');
});

test('each refusal has its status and tells what to change', (t) => {
  const cases: [string, UpgradeRequest, number, RegExp][] = [
    ['no sip subprotocol', request({ 'sec-websocket-protocol': 'chat' }), 400, /Sec-WebSocket-Protocol: sip\r\n/],
    [
      'no subprotocol at all',
      request({ 'sec-websocket-protocol': '' }),
      400,
      /sip subprotocol \(RFC 7118\) is required/,
    ],
    ['version 8', request({ 'sec-websocket-version': '8' }), 426, /Sec-WebSocket-Version: 13\r\n/],
    ['a short key', request({ 'sec-websocket-key': 'c2hvcnQ=' }), 400, /16 bytes in base64/],
    ['two keys', request({ 'sec-websocket-key': `${KEY}, ${KEY}` }), 400, /16 bytes/],
    ['no Upgrade', request({ upgrade: '' }), 426, /Upgrade: websocket/],
    ['another path', request({}, { url: '/other' }), 404, /Not Found/],
    ['POST', request({}, { method: 'POST' }), 405, /Allow: GET/],
    ['HTTP/1.0', request({}, { httpVersion: '1.0' }), 400, /HTTP\/1\.1/],
  ];
  for (const [name, upgrade, status, body] of cases) {
    const verdict = checkUpgrade(upgrade, '/sip');
    t.false(verdict.ok, name);
    if (verdict.ok) continue;
    t.is(verdict.status, status, name);
    t.regex(verdict.response, new RegExp(`^HTTP/1\\.1 ${status} `), name);
    t.regex(verdict.response, /\r\nConnection: close\r\n/, name);
    t.regex(verdict.response, body, name);
  }
});
