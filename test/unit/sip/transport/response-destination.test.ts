import test from 'ava';
import { parseDatagram, type SipMessage } from '../../../../src/sip/message/index.js';
import { applyReceived, responseDestination, type MessageSource } from '../../../../src/sip/transport/index.js';

// Where responses go on the stream transports (RFC 3261 18.2.2, RFC 7118 5): on the request's flow; TLS may open a
// new connection to the sent-by (port 5061 by default) when the flow is gone, a WebSocket never can.

function request(via: string): SipMessage {
  const lines = [
    'REGISTER sip:example.com SIP/2.0',
    `Via: ${via}`,
    'From: <sip:alice@example.com>;tag=1',
    'To: <sip:alice@example.com>',
    'Call-ID: d1',
    'CSeq: 1 REGISTER',
    '',
    '',
  ];
  return parseDatagram(Buffer.from(lines.join('\r\n')));
}

const stream = (transport: MessageSource['transport']): MessageSource => ({
  transport,
  address: '203.0.113.7',
  port: 40000,
  local: { address: '192.0.2.1', port: 5554 },
  connectionId: '0123456789abcdef',
});

test('TLS: on the flow, else to received and the sent-by port, 5061 by default', (t) => {
  const source = stream('tls');
  const message = request('SIP/2.0/TLS 10.0.0.5;branch=z9hG4bK1');
  applyReceived(message, source);
  t.deepEqual(responseDestination(message.topVia(), source), {
    transport: 'tls',
    address: '203.0.113.7',
    port: 5061,
    local: source.local,
    connectionId: source.connectionId,
  });
});

for (const transport of ['ws', 'wss'] as const) {
  test(`${transport}: only the flow leads back to a browser (connectionOnly)`, (t) => {
    const source = stream(transport);
    const message = request(`SIP/2.0/${transport.toUpperCase()} df7jal23ls0d.invalid;branch=z9hG4bK1;rport`);
    applyReceived(message, source);
    t.like(responseDestination(message.topVia(), source), {
      transport,
      address: '203.0.113.7',
      connectionId: source.connectionId,
      connectionOnly: true,
    });
  });
}
