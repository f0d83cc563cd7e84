import test from 'ava';
import { parseUri, type SipUri } from '../../../../src/sip/message/index.js';
import { FlowTable, pushParamsOf, udpFlowId, withoutPushParams } from '../../../../src/sip/registrar/index.js';
import { toRegisteredContact } from '../../../../src/sip/registrar/registered-contact.js';
import type { MessageSource } from '../../../../src/sip/transport/index.js';
import { readFixtureText } from '../../../fixtures/sip/fixtures.js';

const SAMPLE = readFixtureText('seed/flexisip-contact.txt');
const FIELD = readFixtureText('seed/flexisip-field.txt');
const AOR = '40004*01@sips.example.es';
const UPDATED_AT = 1697711736;

test('the operators sample as the proxy sees it: URI, route set, flow owner, push parameters, GRUU, time left', (t) => {
  const contact = toRegisteredContact(AOR, FIELD, SAMPLE, UPDATED_AT + 600, undefined);
  if (!contact) return t.fail('the sample is live 600 s after its REGISTER');
  t.is(contact.instance, FIELD);
  t.true(contact.uri.toString().startsWith('sip:40004*01@79.146.86.86:33030;pn-prid='));
  t.true(
    contact.uri.toString().endsWith(';pn-provider=fcm;pn-param=917288118967;pn-silent=1;pn-timeout=0;transport=tls'),
  );
  t.deepEqual(contact.path.map(String), [
    'sip:89.140.51.149:5556;transport=tcp;fs-proxy-id=26378b0194d4162e;lr',
    'sips:89.140.51.149:5554;lr',
  ]);
  t.is(contact.proxyId, '26378b0194d4162e', 'the node holding the device flow');
  t.is(contact.connectionId, 'ee1a796332c7cc1a');
  t.is(contact.flow, undefined, 'not a flow of this process');
  t.like(contact.push, { kind: 'rfc8599', provider: 'fcm', param: '917288118967' });
  t.true(contact.pushable);
  t.is(contact.expiresIn, 36000 - 600);
  t.is(contact.pubGruu, 'sip:40004*01@sips.example.es;gr=urn:uuid:f39520e5-83ef-005c-b7e8-989617e6d730');
  t.is(contact.userAgent.split(' ')[0], 'LinphoneAndroid/5.2.0-alpha.18+ae92b030c');
  t.is(toRegisteredContact(AOR, FIELD, SAMPLE, UPDATED_AT + 36000, undefined), undefined, 'dead once expired');
  const errors: string[] = [];
  t.is(
    toRegisteredContact(AOR, FIELD, 'garbage', UPDATED_AT, undefined, (e) => errors.push(e)),
    undefined,
  );
  t.is(errors.length, 1);
});

test('push parameters: RFC 8599 or the legacy triple, all three needed; stripped before sending', (t) => {
  const uri = (text: string) => parseUri(text, 'Contact') as SipUri;
  t.deepEqual(pushParamsOf(uri('sip:a@h;pn-provider=apns;pn-prid=ab%3Acd;pn-param=T.b.voip')), {
    kind: 'rfc8599',
    provider: 'apns',
    prid: 'ab:cd',
    param: 'T.b.voip',
  });
  t.deepEqual(pushParamsOf(uri('sip:a@h;pn-type=apple;pn-tok=tok;app-id=org.app.prod')), {
    kind: 'legacy',
    type: 'apple',
    token: 'tok',
    appId: 'org.app.prod',
  });
  t.is(pushParamsOf(uri('sip:a@h;pn-provider=fcm;pn-prid=tok')), undefined);
  t.is(
    withoutPushParams(uri('sip:a@h:5060;pn-provider=fcm;pn-prid=tok;pn-param=1;transport=tcp;pn-silent=1')).toString(),
    'sip:a@h:5060;transport=tcp',
  );
});

test('flows: a stream connection is its own id; a UDP flow is a stable digest of listener and device address', (t) => {
  const udp: MessageSource = {
    transport: 'udp',
    address: '203.0.113.5',
    port: 40000,
    local: { address: '10.0.0.1', port: 5060 },
  };
  const flows = new FlowTable(2);
  t.is(flows.idOf({ ...udp, transport: 'tcp', connectionId: 'abc' }), 'abc');
  t.regex(flows.idOf(udp), /^[0-9a-f]{16}$/);
  t.is(flows.idOf(udp), udpFlowId({ ...udp }));
  t.not(flows.idOf({ ...udp, port: 40001 }), flows.idOf(udp), 'a new NAT binding is a new flow');
  flows.remember('one', udp);
  flows.remember('two', udp);
  flows.remember('one', udp);
  flows.remember('three', udp);
  t.is(flows.get('two'), undefined, 'beyond its bound the least recently seen flow is forgotten');
  t.is(flows.get('one'), udp);
  flows.forget('one');
  t.is(flows.size, 1);
});
