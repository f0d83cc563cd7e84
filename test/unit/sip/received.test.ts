import test from 'ava';
import { parseDatagram, type SipMessage } from '../../../src/sip/message/index.js';
import { applyReceived, responseDestination, type MessageSource } from '../../../src/sip/transport/index.js';

function requestWithVia(via: string): SipMessage {
  return parseDatagram(
    Buffer.from(
      [
        'OPTIONS sip:bob@example.com SIP/2.0',
        `Via: ${via}`,
        'Via: SIP/2.0/UDP 192.0.2.200;branch=z9hG4bKlower',
        'From: <sip:alice@example.com>;tag=1',
        'To: <sip:bob@example.com>',
        'Call-ID: r1',
        'CSeq: 1 OPTIONS',
        '',
        '',
      ].join('\r\n'),
    ),
  );
}

const udp = (address: string, port: number): MessageSource => ({
  transport: 'udp',
  address,
  port,
  local: { address: '127.0.0.1', port: 5060 },
});

test('received is added when the sent-by host is not the source address (RFC 3261 18.2.1)', (t) => {
  const request = requestWithVia('SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1');
  applyReceived(request, udp('198.51.100.7', 40000));
  t.is(request.topVia().toString(), 'SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1;received=198.51.100.7');
  t.is(request.vias()[1]!.branch, 'z9hG4bKlower', 'the other Vias are untouched');
});

test('nothing changes when the sent-by host is the source address and no rport was asked', (t) => {
  const via = 'SIP/2.0/UDP [2001:db8::7]:5060;branch=z9hG4bK1';
  const request = requestWithVia(via);
  applyReceived(request, udp('2001:db8:0::7', 5060));
  t.is(request.headers.get('via'), via);
});

test('a bare rport is filled with the source port, and received added even for the same host (RFC 3581)', (t) => {
  const request = requestWithVia('SIP/2.0/UDP 198.51.100.7:5060;rport;branch=z9hG4bK1');
  applyReceived(request, udp('198.51.100.7', 40000));
  t.is(request.topVia().rport, 40000);
  t.is(request.topVia().received, '198.51.100.7');
});

test('responses go where RFC 3261 18.2.2 and RFC 3581 say', (t) => {
  const natted = requestWithVia('SIP/2.0/UDP 10.0.0.5:5062;rport;branch=z9hG4bK1');
  const source = udp('198.51.100.7', 40000);
  applyReceived(natted, source);
  t.deepEqual(responseDestination(natted.topVia(), source), {
    transport: 'udp',
    address: '198.51.100.7',
    port: 40000,
    local: source.local,
  });

  const plain = requestWithVia('SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1');
  applyReceived(plain, source);
  t.deepEqual(
    responseDestination(plain.topVia(), source),
    { transport: 'udp', address: '198.51.100.7', port: 5062, local: source.local },
    'no rport: the sent-by port',
  );

  const defaultPort = requestWithVia('SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK1');
  t.is(responseDestination(defaultPort.topVia(), source).port, 5060);

  const tcpSource: MessageSource = {
    transport: 'tcp',
    address: '198.51.100.7',
    port: 50123,
    local: { address: '127.0.0.1', port: 5060 },
    connectionId: 'abc',
  };
  const overTcp = requestWithVia('SIP/2.0/TCP 10.0.0.5:5070;branch=z9hG4bK1');
  applyReceived(overTcp, tcpSource);
  t.deepEqual(responseDestination(overTcp.topVia(), tcpSource), {
    transport: 'tcp',
    address: '198.51.100.7',
    port: 5070,
    local: tcpSource.local,
    connectionId: 'abc',
  });
});
