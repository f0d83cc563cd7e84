import test from 'ava';
import { contactInstance, parseDatagram, parseNameAddr, type SipUri } from '../../../src/sip/message/index.js';
import { readFixtureText } from '../../fixtures/sip/fixtures.js';

// The operators' Flexisip record (test/fixtures/sip/seed/README.md): the registrar stores Contact values verbatim,
// so reading one and writing it back must give the same bytes, and its parts must be reachable.
const value = readFixtureText('seed/flexisip-contact.txt');
const field = readFixtureText('seed/flexisip-field.txt');

test('the Flexisip contact value is read and written back byte for byte', (t) => {
  const contact = parseNameAddr(value, 'Contact');
  t.is(contact.toString(), value);
  t.is(contact.toString().length, value.length);
});

test('its parts: display name, URI, push parameters, Flexisip parameters, URI headers, header parameters', (t) => {
  const contact = parseNameAddr(value, 'Contact');
  const uri = contact.uri as SipUri;
  t.is(contact.display, 'JAC');
  t.is(uri.user, '40004*01');
  t.is(uri.host, '79.146.86.86');
  t.is(uri.port, 33030);
  t.is(uri.transport, 'tls');
  t.is(uri.param('pn-provider'), 'fcm');
  t.is(uri.param('pn-param'), '917288118967');
  t.regex(uri.param('pn-prid') as string, /^[\w-]+:APA91b[\w-]+$/);
  t.deepEqual(
    ['fs-conn-id', 'callid', 'expires', 'cseq', 'updatedAt', 'alias', 'usedAsRoute'].map((name) => uri.param(name)),
    ['ee1a796332c7cc1a', 'iZZ9Nq8ars', '36000', '21', '1697711736', 'no', 'no'],
  );
  t.is(
    uri.header('path'),
    '<sip:89.140.51.149:5556;transport=tcp;fs-proxy-id=26378b0194d4162e;lr>,<sips:89.140.51.149:5554;lr>',
  );
  t.is(uri.header('accept'), 'application/sdp,text/plain,application/vnd.gsma.rcs-ft-http+xml');
  t.is(
    uri.header('user-agent'),
    'LinphoneAndroid/5.2.0-alpha.18+ae92b030c (realme 8 5G) LinphoneSDK/5.3.0-alpha.310+1616072 (master)',
  );
  t.is(contactInstance(contact), field, 'the raw +sip.instance is the hash field');
  t.is(contact.params.unquoted('+org.linphone.specs'), 'ephemeral/1.1,groupchat/1.2,lime');
  t.is(
    contact.params.unquoted('pub-gruu'),
    'sip:40004*01@sips.example.es;gr=urn:uuid:f39520e5-83ef-005c-b7e8-989617e6d730',
  );
});

test('a changed parameter rewrites only itself: the rest keeps its bytes', (t) => {
  const contact = parseNameAddr(value, 'Contact');
  const uri = contact.uri as SipUri;
  const updated = contact.withUri(uri.withParam('updatedAt', '1700000000').withParam('cseq', '22'));
  t.is(updated.toString(), value.replace('cseq=21', 'cseq=22').replace('updatedAt=1697711736', 'updatedAt=1700000000'));
});

test('the value as a Contact header of a REGISTER is read the same way', (t) => {
  const register = parseDatagram(
    Buffer.from(
      [
        'REGISTER sip:sips.example.es SIP/2.0',
        'Via: SIP/2.0/TLS 79.146.86.86:33030;branch=z9hG4bK.seed;rport',
        'From: <sip:40004*01@sips.example.es>;tag=s1',
        'To: <sip:40004*01@sips.example.es>',
        'Call-ID: iZZ9Nq8ars',
        'CSeq: 21 REGISTER',
        `Contact: ${value}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  );
  const contacts = register.contacts();
  t.is(contacts.contacts.length, 1, 'the commas inside quotes and <> do not split it');
  t.is(contacts.contacts[0]!.toString(), value);
});
