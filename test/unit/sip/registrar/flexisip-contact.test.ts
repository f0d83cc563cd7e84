import test from 'ava';
import fc from 'fast-check';
import { NameAddr, parseNameAddr, parseUri, type SipUri } from '../../../../src/sip/message/index.js';
import {
  parseBinding,
  planRegister,
  serializeBinding,
  type StoredBinding,
} from '../../../../src/sip/registrar/index.js';
import { escapeCallId, escapeUrlHeader, unescapeStored } from '../../../../src/sip/registrar/flexisip-escape.js';
import { readFixtureText } from '../../../fixtures/sip/fixtures.js';
import { register, settings } from './requests.js';

// The operators' record (test/fixtures/sip/seed/): one binding as Flexisip wrote it.
const SAMPLE = readFixtureText('seed/flexisip-contact.txt');
const FIELD = readFixtureText('seed/flexisip-field.txt');
const SAMPLE_CONTACT_URI =
  /^"JAC" <(sip:40004\*01@79\.146\.86\.86:33030;pn-prid=[^;]+;pn-provider=fcm;pn-param=917288118967;pn-silent=1;pn-timeout=0;transport=tls);fs-conn-id/;

function sampleBinding(): StoredBinding {
  const parsed = parseBinding(SAMPLE);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.binding;
}

test('golden: the operators sample record parses and serializes back byte for byte', (t) => {
  const binding = sampleBinding();
  t.is(serializeBinding(binding), SAMPLE);
});

test('golden: the sample parses into its parts, the registrar parameters apart from the contact', (t) => {
  const binding = sampleBinding();
  t.is(binding.contact.uri.toString(), SAMPLE_CONTACT_URI.exec(SAMPLE)![1]!);
  t.is(binding.contact.display, 'JAC');
  t.is(binding.connectionId, 'ee1a796332c7cc1a');
  t.is(binding.callId, 'iZZ9Nq8ars');
  t.is(binding.expires, 36000);
  t.is(binding.cseq, 21);
  t.is(binding.updatedAt, 1697711736);
  t.false(binding.alias);
  t.false(binding.usedAsRoute);
  t.deepEqual(binding.path, [
    'sip:89.140.51.149:5556;transport=tcp;fs-proxy-id=26378b0194d4162e;lr',
    'sips:89.140.51.149:5554;lr',
  ]);
  t.deepEqual(binding.accept, ['application/sdp', 'text/plain', 'application/vnd.gsma.rcs-ft-http+xml']);
  t.is(
    binding.userAgent,
    'LinphoneAndroid/5.2.0-alpha.18+ae92b030c (realme 8 5G) LinphoneSDK/5.3.0-alpha.310+1616072 (master)',
  );
  t.is(binding.contact.params.get('+sip.instance'), FIELD);
  t.is(
    binding.contact.params.unquoted('pub-gruu'),
    'sip:40004*01@sips.example.es;gr=urn:uuid:f39520e5-83ef-005c-b7e8-989617e6d730',
  );
  t.is(binding.contact.uri.headers.length, 0, 'the URI headers are the binding, not the contact');
});

test('golden: a REGISTER replaying the sample headers stores the same value but for callid, updatedAt and fs-conn-id', (t) => {
  const contact = SAMPLE_CONTACT_URI.exec(SAMPLE)![1]!;
  const request = register({
    Via: 'SIP/2.0/TLS 79.146.86.86:33030;branch=z9hG4bK.replay;rport',
    From: '<sip:40004*01@sips.example.es>;tag=replay',
    To: '<sip:40004*01@sips.example.es>',
    'Call-ID': 'replayed-call-id',
    CSeq: '21 REGISTER',
    Contact: `"JAC" <${contact}>;+sip.instance="<urn:uuid:f39520e5-83ef-005c-b7e8-989617e6d730>";+org.linphone.specs="ephemeral/1.1,groupchat/1.2,lime"`,
    Expires: '36000',
    Supported: 'replaces, outbound, gruu, path',
    Path: '<sips:89.140.51.149:5554;lr>',
    Accept: 'application/sdp, text/plain, application/vnd.gsma.rcs-ft-http+xml',
    'User-Agent': 'LinphoneAndroid/5.2.0-alpha.18+ae92b030c (realme 8 5G) LinphoneSDK/5.3.0-alpha.310+1616072 (master)',
  });
  const plan = planRegister(
    request,
    settings({
      maxExpiresS: 86400,
      path: { uri: 'sip:89.140.51.149:5556;transport=tcp', proxyId: '26378b0194d4162e' },
    }),
    { connectionId: '0123456789abcdef', nowS: 1_800_000_000 },
  );
  if (plan.kind !== 'bind') return t.fail(`planned ${plan.kind}`);
  t.is(plan.contacts.length, 1);
  t.is(plan.contacts[0]!.field, FIELD);
  const mask = (value: string) =>
    value
      .replace(/;fs-conn-id=[^;?>]*/, ';fs-conn-id=X')
      .replace(/;callid=[^;?>]*/, ';callid=X')
      .replace(/;updatedAt=[^;?>]*/, ';updatedAt=X');
  t.is(mask(plan.contacts[0]!.value), mask(SAMPLE));
  t.regex(
    plan.contacts[0]!.value,
    /;fs-conn-id=0123456789abcdef;callid=replayed-call-id;expires=36000;cseq=21;updatedAt=1800000000;/,
  );
});

test('a contact without display name, path, accept or user-agent: Flexisip writes the three URI headers empty', (t) => {
  const binding: StoredBinding = {
    contact: parseNameAddr(
      '<sip:bob@198.51.100.7:5062;transport=udp>;+sip.instance="<urn:uuid:b>";pub-gruu',
      'Contact',
    ) as StoredBinding['contact'],
    connectionId: 'cafe',
    callId: 'a@b;c',
    expires: 600,
    cseq: 7,
    updatedAt: 1_800_000_000,
    alias: false,
    usedAsRoute: false,
    path: [],
    accept: [],
    userAgent: '',
  };
  const value = serializeBinding(binding);
  t.is(
    value,
    '<sip:bob@198.51.100.7:5062;transport=udp;fs-conn-id=cafe;callid=a%40b%3Bc;expires=600;cseq=7;updatedAt=1800000000;alias=no;usedAsRoute=no?path=&accept=&user-agent=>;+sip.instance="<urn:uuid:b>";pub-gruu',
  );
  const back = parseBinding(value);
  if (!back.ok) return t.fail(back.error);
  t.is(back.binding.callId, 'a@b;c');
  t.is(serializeBinding(back.binding), value);
  t.is(back.binding.contact.params.get('pub-gruu'), null, 'the bare pub-gruu marker is kept');
});

test('what our values hold is readable by the strict SIP parser (the push workers read them that way)', (t) => {
  const binding = { ...sampleBinding(), userAgent: 'Weird & co @home "quoted" 100% <x>;y=z, ü', callId: 'x?y&z@h' };
  const value = serializeBinding(binding);
  const contact = parseNameAddr(value, 'Contact');
  const uri = contact.uri as SipUri;
  t.is(uri.header('user-agent'), binding.userAgent);
  t.is(uri.param('callid'), 'x?y&z@h');
  const back = parseBinding(value);
  t.true(back.ok && back.binding.userAgent === binding.userAgent && back.binding.callId === binding.callId);
});

test('Flexisip values that our parser would refuse are still read: a bare & or @ in the user-agent', (t) => {
  const value = SAMPLE.replace('user-agent=LinphoneAndroid', 'user-agent=A&B@C%20LinphoneAndroid');
  const parsed = parseBinding(value);
  if (!parsed.ok) return t.fail(parsed.error);
  t.true(parsed.binding.userAgent.startsWith('A&B@C LinphoneAndroid'));
  t.is(parsed.binding.path.length, 2);
});

test('a display name holding <sip:...;expires=...> does not fool the reader', (t) => {
  const value = `"<sip:x@y;expires=99999999;updatedAt=9999999999>" ${SAMPLE.slice(SAMPLE.indexOf('<'))}`;
  const parsed = parseBinding(value);
  if (!parsed.ok) return t.fail(parsed.error);
  t.is(parsed.binding.expires, 36000);
  t.is(parsed.binding.updatedAt, 1697711736);
});

test('unreadable values give a reason, never a throw', (t) => {
  for (const value of [
    '',
    'garbage',
    '<sip:a@b;expires=1>',
    '<tel:+1234;expires=1;updatedAt=2>',
    '"unterminated <sip:a@b>',
    '<sip:a@b;updatedAt=1',
  ]) {
    const parsed = parseBinding(value);
    t.false(parsed.ok, value);
    if (!parsed.ok) t.true(parsed.error.length > 0);
  }
});

test('escaping: sofia sets for URI headers (plus & and @), paramchar for the callid, upper-case hex', (t) => {
  t.is(escapeUrlHeader('<sip:h:1;lr>,x=y'), '%3Csip%3Ah%3A1%3Blr%3E%2Cx%3Dy');
  t.is(escapeUrlHeader("a/b+c(d)!$'*-._~?"), "a/b+c(d)!$'*-._~?");
  t.is(escapeUrlHeader('a b&c@d"#%[]^`{|}\\'), 'a%20b%26c%40d%22%23%25%5B%5D%5E%60%7B%7C%7D%5C');
  t.is(escapeUrlHeader('é'), '%C3%A9');
  t.is(escapeCallId("abc-1.2!*_+'~():/[]$"), "abc-1.2!*_+'~():/[]$");
  t.is(escapeCallId('a@b;c,d&e<f>"g%h?i'), 'a%40b%3Bc%2Cd%26e%3Cf%3E%22g%25h%3Fi');
  t.is(unescapeStored('100%zz%41'), '100%zzA');
});

test('property: any binding serializes to a value that parses back to the same value', (t) => {
  const text = fc.string({ unit: 'grapheme', maxLength: 40 });
  fc.assert(
    fc.property(
      text,
      fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]{1,30}(@[A-Za-z0-9.]{1,10})?$/),
      fc.array(
        fc.constantFrom('sip:10.0.0.1:5556;transport=tcp;lr', 'sips:edge.example.com;lr', 'sip:[2001:db8::1];lr'),
        { maxLength: 3 },
      ),
      fc.array(fc.constantFrom('application/sdp', 'text/plain', 'message/cpim'), { maxLength: 3 }),
      fc.nat(2 ** 31 - 1),
      (userAgent, callId, path, accept, cseq) => {
        const binding: StoredBinding = {
          ...sampleBinding(),
          contact: new NameAddr({
            displayName: '"A \\"B\\""',
            uri: parseUri('sip:u;x=1@192.0.2.1;transport=tcp', 'Contact') as SipUri,
          }) as StoredBinding['contact'],
          userAgent,
          callId,
          path,
          accept,
          cseq,
        };
        const value = serializeBinding(binding);
        const back = parseBinding(value);
        if (!back.ok) throw new Error(`${back.error}: ${value}`);
        return serializeBinding(back.binding) === value && back.binding.userAgent === userAgent;
      },
    ),
  );
  t.pass();
});
