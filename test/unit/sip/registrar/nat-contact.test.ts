import test from 'ava';
import { parseDatagram, parseUri, type SipRequest, type SipUri } from '../../../../src/sip/message/index.js';
import { contactCorrection } from '../../../../src/sip/registrar/nat-contact.js';

function register(sentBy: string): SipRequest {
  return parseDatagram(
    Buffer.from(
      [
        'REGISTER sip:sips.example.es SIP/2.0',
        `Via: SIP/2.0/TLS ${sentBy};branch=z9hG4bKnat;rport`,
        'Max-Forwards: 70',
        'From: <sip:40004*01@sips.example.es>;tag=1',
        'To: <sip:40004*01@sips.example.es>',
        'Call-ID: nat',
        'CSeq: 1 REGISTER',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  ) as SipRequest;
}
const uri = (text: string) => parseUri(text, 'Contact') as SipUri;

test("behind NAT: a contact on the Via's host takes the client's address and port; others are kept", (t) => {
  const correct = contactCorrection(register('192.168.1.20:5062'), { address: '79.146.86.86', port: 33030 })!;
  t.is(
    correct(uri('sip:40004*01@192.168.1.20:5062;transport=tls;pn-provider=fcm')).toString(),
    'sip:40004*01@79.146.86.86:33030;transport=tls;pn-provider=fcm',
  );
  t.is(correct(uri('sip:40004*01@192.168.1.21;transport=tls')).toString(), 'sip:40004*01@192.168.1.21;transport=tls');
  t.is(correct(uri('sip:desk@pbx.example.es')).toString(), 'sip:desk@pbx.example.es', 'a name is nobody else');
});

test('an IPv6 client is written in brackets; a WebSocket device (an .invalid host) gets its address too', (t) => {
  const v6 = contactCorrection(register('[fd00::20]:5062'), { address: '2001:db8::7', port: 40001 })!;
  t.is(v6(uri('sip:a@[fd00::20]:5062;transport=tls')).toString(), 'sip:a@[2001:db8::7]:40001;transport=tls');
  const ws = contactCorrection(register('df7jal23ls0d.invalid'), { address: '203.0.113.5', port: 50000 })!;
  t.is(ws(uri('sip:k3x9qz@df7jal23ls0d.invalid;transport=ws')).toString(), 'sip:k3x9qz@203.0.113.5:50000;transport=ws');
});

test('no NAT (the Via names the address the REGISTER came from): nothing to correct', (t) => {
  t.is(contactCorrection(register('198.51.100.7:5062'), { address: '198.51.100.7', port: 41000 }), undefined);
  t.is(contactCorrection(register('[2001:db8::7]'), { address: '2001:db8:0::7', port: 41000 }), undefined);
  t.is(contactCorrection(register('198.51.100.7'), undefined), undefined);
});
