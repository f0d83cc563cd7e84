import test from 'ava';
import { SipParseError, Via, parseVia } from '../../../src/sip/message/index.js';

test('a Via is read in its parts and kept as written', (t) => {
  const value = 'SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK776asdhds;rport;received=198.51.100.7';
  const via = parseVia(value);
  t.is(via.transport, 'UDP');
  t.is(via.host, '192.0.2.1');
  t.is(via.port, 5062);
  t.is(via.branch, 'z9hG4bK776asdhds');
  t.true(via.hasRfc3261Branch);
  t.is(via.rport, null);
  t.is(via.received, '198.51.100.7');
  t.is(via.toString(), value);
});

test('whitespace around the slashes and parameters, and folding undone (RFC 4475 wsinv)', (t) => {
  const via = parseVia('SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8');
  t.is(via.transport, 'TCP');
  t.is(via.host, 'spindle.example.com');
  t.is(via.branch, 'z9hG4bK9ikj8');
});

test('IPv6 sent-by and received with or without brackets (RFC 5118 4.5)', (t) => {
  const via = parseVia('SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111;received=[2001:db8::9:255]');
  t.is(via.hostname, '2001:db8::9:1');
  t.is(via.port, 6050);
  t.is(via.received, '2001:db8::9:255');
  t.is(parseVia('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKjhja;received=2001:db8::9:255').received, '2001:db8::9:255');
});

test('unknown transports and RFC 2543 Vias without branch are valid (RFC 4475 transports, inv2543)', (t) => {
  t.is(parseVia('SIP/2.0/UNKNOWN t2.example.com;branch=z9hG4bKklasjdhf').transport, 'UNKNOWN');
  t.is(parseVia('SIP/2.0/TLS-SCTP t4.example.com;branch=z9hG4bK2980unddj').transport, 'TLS-SCTP');
  const old = parseVia('SIP/2.0/UDP 192.0.2.15');
  t.is(old.branch, undefined);
  t.false(old.hasRfc3261Branch);
});

const invalid: [string, string][] = [
  ['empty parameters (badinv01)', 'SIP/2.0/UDP 192.0.2.15;;,;,,'],
  ['no sent-by', 'SIP/2.0/UDP'],
  ['no space before sent-by', 'SIP/2.0/UDP;branch=z9hG4bK1'],
  ['another protocol', 'HTTP/1.1/TCP example.com'],
  ['another version', 'SIP/3.0/UDP example.com'],
  ['bad received', 'SIP/2.0/UDP example.com;received=example.net'],
  ['bad rport', 'SIP/2.0/UDP example.com;rport=99999'],
  ['bad ttl', 'SIP/2.0/UDP example.com;ttl=256'],
  ['quoted branch', 'SIP/2.0/UDP example.com;branch="z9hG4bK1"'],
  ['bad port', 'SIP/2.0/UDP example.com:http'],
  ['unclosed IPv6', 'SIP/2.0/UDP [2001:db8::1;branch=z9hG4bK1'],
];
for (const [name, value] of invalid) {
  test(`an invalid Via is a parse error: ${name}`, (t) => {
    const error = t.throws(() => parseVia(value), { instanceOf: SipParseError });
    t.is(error?.reason, 'Bad Via header');
  });
}

test('received and rport are set on a changed copy (RFC 3581)', (t) => {
  const via = parseVia('SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;rport');
  const answered = via.withParam('received', '198.51.100.7').withParam('rport', '40112');
  t.is(answered.toString(), 'SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;rport=40112;received=198.51.100.7');
  t.is(answered.rport, 40112);
  const built = new Via({ transport: 'TCP', host: '[::1]', port: 5556 }).withParam('branch', 'z9hG4bKx');
  t.is(built.toString(), 'SIP/2.0/TCP [::1]:5556;branch=z9hG4bKx');
});
