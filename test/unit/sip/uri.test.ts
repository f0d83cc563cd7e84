import test from 'ava';
import { SipParseError, SipUri, TelUri, escapeUriParam, parseUri } from '../../../src/sip/message/index.js';

function sip(text: string): SipUri {
  const uri = parseUri(text, 'To');
  if (!(uri instanceof SipUri)) throw new Error(`not a SIP URI: ${text}`);
  return uri;
}

test('every part of a SIP URI is read, and the text comes back byte for byte', (t) => {
  const text =
    'sips:al%69ce:se%63ret@Example.COM:5061;transport=tcp;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent';
  const uri = sip(text);
  t.is(uri.scheme, 'sips');
  t.is(uri.user, 'al%69ce');
  t.is(uri.userDecoded, 'alice');
  t.is(uri.password, 'se%63ret');
  t.is(uri.host, 'Example.COM');
  t.is(uri.port, 5061);
  t.is(uri.transport, 'tcp');
  t.is(uri.param('lr'), null);
  t.is(uri.param('maddr'), '239.255.255.1');
  t.is(uri.param('ttl'), undefined);
  t.is(uri.header('subject'), 'project x');
  t.is(uri.header('priority'), 'urgent');
  t.is(uri.toString(), text);
});

test('IPv6 references, IPv4 hosts and host names without user or port', (t) => {
  t.is(sip('sip:[2001:db8::10]:5070').hostname, '2001:db8::10');
  t.is(sip('sip:[2001:db8::10]:5070').port, 5070);
  // RFC 5118 4.4: the last group looks like a port but sits inside the brackets.
  t.is(sip('sip:[2001:db8::10:5070]').port, undefined);
  t.is(sip('sip:[::ffff:192.0.2.10]').hostname, '::ffff:192.0.2.10');
  t.is(sip('sip:192.0.2.4').host, '192.0.2.4');
  t.is(sip('sip:registrar.example.com.').host, 'registrar.example.com.');
  t.is(sip('SIP:bob@example.com').scheme, 'sip');
});

test('the user part may hold ;, ?, / and escapes; the password splits at the first colon', (t) => {
  // RFC 4475 semiuri and intmeth.
  t.is(sip('sip:user;par=u%40example.net@example.com').user, 'user;par=u%40example.net');
  const odd = sip(
    "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
  );
  t.is(odd.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  t.is(odd.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  // RFC 4475 esc01 and escnull: escapes decode, a NUL included.
  t.is(sip('sip:sips%3Auser%40example.com@example.net').userDecoded, 'sips:user@example.com');
  t.is(sip('sip:null-%00-null@example.com').userDecoded, 'null-\u0000-null');
});

test('escaped parameter names compare after decoding (RFC 4475 esc02)', (t) => {
  const uri = sip('sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31');
  t.is(uri.param('lr'), null);
  t.is(uri.param('name'), 'value%41');
  t.is(uri.userDecoded, 'caller');
});

test('tel: and other schemes', (t) => {
  const tel = parseUri('tel:+1-201-555-0123;ext=42', 'To');
  t.true(tel instanceof TelUri);
  t.is((tel as TelUri).number, '+1-201-555-0123');
  t.true((tel as TelUri).isGlobal);
  t.is((tel as TelUri).param('ext'), '42');
  const other = parseUri('urn:service:sos', 'To');
  t.is(other.kind, 'other');
  t.is(other.toString(), 'urn:service:sos');
  t.is(parseUri('nobodyKnowsThisScheme:totallyopaquecontent', 'Request-URI').kind, 'other');
});

const invalid: [string, string][] = [
  ['no scheme', 'bob@example.com'],
  ['empty user', 'sip:@example.com'],
  ['space in the user', 'sip:bo b@example.com'],
  ['bad escape', 'sip:bob%4@example.com'],
  ['IPv6 without brackets (RFC 5118 4.2)', 'sip:2001:db8::10'],
  ['unclosed IPv6', 'sip:[2001:db8::10'],
  ['not IPv6 in brackets', 'sip:[example.com]'],
  ['bad IPv4', 'sip:192.0.2.300'],
  ['port too large', 'sip:example.com:65536'],
  ['port not digits', 'sip:example.com:50a'],
  ['empty parameter', 'sip:example.com;;lr'],
  ['empty parameter value', 'sip:example.com;transport='],
  ['header without =', 'sip:example.com?subject'],
  ['angle bracket', 'sip:example.com>'],
  ['host label with a dash at the end', 'sip:bad-.example.com'],
  ['empty tel number', 'tel:;ext=1'],
  ['space in an opaque URI', 'urn:a b'],
];
for (const [name, text] of invalid) {
  test(`an invalid URI is a parse error naming the header: ${name}`, (t) => {
    const error = t.throws(() => parseUri(text, 'Contact'), { instanceOf: SipParseError });
    t.is(error?.reason, 'Bad Contact header');
  });
}

test('a changed copy rewrites only the changed part, the rest as written', (t) => {
  const uri = sip('sip:%61lice@EXAMPLE.com;transport=TCP');
  const changed = uri.withParam('fs-conn-id', 'ee1a796332c7cc1a').withParam('transport', 'tls');
  t.is(changed.toString(), 'sip:%61lice@EXAMPLE.com;transport=tls;fs-conn-id=ee1a796332c7cc1a');
  t.is(uri.toString(), 'sip:%61lice@EXAMPLE.com;transport=TCP', 'the original is unchanged');
  t.is(changed.withoutParam('fs-conn-id').toString(), 'sip:%61lice@EXAMPLE.com;transport=tls');
  t.is(new SipUri({ scheme: 'sip', host: '[::1]', port: 5060 }).toString(), 'sip:[::1]:5060');
  t.is(escapeUriParam('a b;c=d'), 'a%20b%3Bc%3Dd');
});

test('URI comparison follows RFC 3261 19.1.4', (t) => {
  const same: [string, string][] = [
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;newparam=5'],
    [
      'sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com',
      'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com',
    ],
    ['sip:[2001:db8::1]', 'sip:[2001:DB8:0::1]'],
  ];
  const different: [string, string][] = [
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
  ];
  for (const [a, b] of same) t.true(sip(a).equals(sip(b)), `${a} = ${b}`);
  for (const [a, b] of different) t.false(sip(a).equals(sip(b)), `${a} != ${b}`);
});
