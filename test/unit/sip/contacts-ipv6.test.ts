import test from 'ava';
import {
  SipParseError,
  contactExpires,
  parseDatagram,
  type SipRequest,
  type SipUri,
} from '../../../src/sip/message/index.js';
import { message, refused, usual } from './torture.js';

// Contacts of REGISTER requests (RFC 4475 cparam, regescrt, regbadct, scalar02) and IPv6 references (RFC 5118).

test('REGISTER Contacts: parameters, escaped headers inside <>, expires; no <> around a URI with ? (regbadct)', (t) => {
  const register = (contact: string) =>
    parseDatagram(
      message(['REGISTER sip:example.com SIP/2.0', ...usual('REGISTER', 'cparam'), `Contact: ${contact}`, 'l: 0']),
    );
  const contacts = register(
    '<sip:+19725552222@gw1.example.net;unknownparam>;expires=3600;q=0.5, <sip:user@host?Route=%3Csip:sip.example.com%3E>',
  ).contacts();
  t.false(contacts.star);
  t.is(contacts.contacts.length, 2);
  t.is(contactExpires(contacts.contacts[0]!), 3600);
  t.is((contacts.contacts[1]!.uri as SipUri).header('route'), '<sip:sip.example.com>');
  t.true(register('*').contacts().star);
  const bad = register('sip:user@example.com?Route=%3Csip:sip.example.com%3E');
  t.throws(() => bad.contacts(), { instanceOf: SipParseError, message: /Bad Contact header/ });
  t.throws(() => register('*, <sip:a@example.com>').contacts(), { instanceOf: SipParseError });
  t.throws(() => register('<sip:a@example.com>;q=1.5').contacts(), { instanceOf: SipParseError });
  t.is(
    contactExpires(register('<sip:a@example.com>;expires=280297596632815').contacts().contacts[0]!),
    undefined,
    'overlarge expires is no number (scalar02)',
  );
});

test('RFC 5118: IPv6 references in the Request-URI, Via and Contact; IPv6 without brackets is refused', (t) => {
  const request = parseDatagram(
    message([
      'REGISTER sip:[2001:db8::10]:5070 SIP/2.0',
      'Via: SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111;received=[2001:db8::9:255]',
      ...usual('REGISTER', 'ipv6').slice(1),
      'Contact: "Caller" <sip:caller@[2001:db8::1]>',
      'l: 0',
    ]),
  ) as SipRequest;
  t.is((request.uri() as SipUri).hostname, '2001:db8::10');
  t.is(request.topVia().received, '2001:db8::9:255');
  t.is((request.contacts().contacts[0]!.uri as SipUri).host, '[2001:db8::1]');
  const bad = refused(message(['REGISTER sip:2001:db8::10 SIP/2.0', ...usual('REGISTER', 'ipv6bad'), 'l: 0']));
  t.is(bad.reason, 'Bad Request-URI');
});
