import test from 'ava';
import fc from 'fast-check';
import { contactUriParams } from '../../../src/push/contact-params.js';

/** The operators' sample from the STG manual (seed/README.md), byte for byte but for the FCM token. */
const SAMPLE =
  '"JAC" <sip:40004*01@79.146.86.86:33030;pn-prid=dGVzdC10b2tlbg:APA91bHxyz_-AbC;pn-provider=fcm;pn-param=917288118967;pn-silent=1;pn-timeout=0;transport=tls;fs-conn-id=ee1a796332c7cc1a;callid=iZZ9Nq8ars;expires=36000;cseq=21;updatedAt=1697711736;alias=no;usedAsRoute=no?path=%3Csip%3A89.140.51.149%3A5556%3Btransport%3Dtcp%3Bfs-proxy-id%3D26378b0194d4162e%3Blr%3E%2C%3Csips%3A89.140.51.149%3A5554%3Blr%3E&accept=application/sdp%2Ctext/plain%2Capplication/vnd.gsma.rcs-ft-http+xml&user-agent=LinphoneAndroid/5.2.0-alpha.18+ae92b030c%20(realme%208%205G)%20LinphoneSDK/5.3.0-alpha.310+1616072%20(master)>;+sip.instance="<urn:uuid:f39520e5-83ef-005c-b7e8-989617e6d730>";+org.linphone.specs="ephemeral/1.1,groupchat/1.2,lime";pub-gruu="sip:40004*01@sips.example.es;gr=urn:uuid:f39520e5-83ef-005c-b7e8-989617e6d730"';

test('the manual sample: URI parameters up to the headers, names lower-cased, values whole', (t) => {
  const parsed = contactUriParams(SAMPLE);
  if (!parsed.ok) return t.fail(parsed.error);
  t.is(parsed.uri, 'sip:40004*01@79.146.86.86:33030');
  t.is(parsed.params.get('pn-prid'), 'dGVzdC10b2tlbg:APA91bHxyz_-AbC', 'an FCM token keeps its colon');
  t.is(parsed.params.get('pn-provider'), 'fcm');
  t.is(parsed.params.get('pn-param'), '917288118967');
  t.is(parsed.params.get('updatedat'), '1697711736');
  t.is(parsed.params.get('usedasroute'), 'no', 'the ?headers are not a parameter');
  t.false(parsed.params.has('path'));
  t.is(parsed.instance, '<urn:uuid:f39520e5-83ef-005c-b7e8-989617e6d730>');
});

test('a quoted display name may hold < and escaped quotes', (t) => {
  const parsed = contactUriParams('"a \\"<b>\\" c" <sips:u@h;pn-provider=apns>;expires=3');
  t.true(parsed.ok && parsed.params.get('pn-provider') === 'apns');
});

test('%-escapes are decoded; a flag parameter has an empty value; the first of a repeated name wins', (t) => {
  const parsed = contactUriParams('<sip:u@h;pn-prid=aa:voip%26bb:remote;ob;pn-param=X.y.voip%26remote;ob=2>');
  if (!parsed.ok) return t.fail(parsed.error);
  t.is(parsed.params.get('pn-prid'), 'aa:voip&bb:remote');
  t.is(parsed.params.get('pn-param'), 'X.y.voip&remote');
  t.is(parsed.params.get('ob'), '');
});

test('an addr-spec contact has no URI parameters; what is not a sip URI is an error, not an exception', (t) => {
  const addrSpec = contactUriParams('sip:u@h;pn-provider=fcm');
  t.true(addrSpec.ok && addrSpec.params.size === 0, 'after an addr-spec, parameters are header parameters');
  t.like(contactUriParams('<tel:+34600000000>'), { ok: false });
  t.like(contactUriParams('<sip:u@h;pn-prid=%zz>'), { ok: false });
  t.like(contactUriParams('"unterminated <sip:u@h>'), { ok: false });
  t.like(contactUriParams('<sip:u@h'), { ok: false });
  t.like(contactUriParams(''), { ok: false });
});

test('any string gives a result, never an exception', (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      const parsed = contactUriParams(text);
      return typeof parsed.ok === 'boolean';
    }),
  );
  t.pass();
});
