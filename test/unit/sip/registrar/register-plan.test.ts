import test from 'ava';
import fc from 'fast-check';
import { parseBinding, planRegister, type RegisterPlan } from '../../../../src/sip/registrar/index.js';
import { register, settings } from './requests.js';

const NOW = 1_800_000_000;
const context = { connectionId: 'c0ffee', nowS: NOW };

function bind(plan: RegisterPlan) {
  if (plan.kind !== 'bind') throw new Error(`expected a bind, got ${JSON.stringify(plan)}`);
  return plan;
}

test('AOR from To: user@host as written (case kept), the field is the raw +sip.instance', (t) => {
  const plan = bind(planRegister(register({ To: '<sips:Alice@Example.COM:5061;transport=tls>' }), settings(), context));
  t.is(plan.info.aor, 'Alice@Example.COM');
  t.is(plan.contacts[0]!.field, '"<urn:uuid:00000000-0000-0000-0000-00000000000a>"');
  t.is(plan.info.storedCallId, 'call-1');
  t.is(plan.info.cseq, 1);
});

test('a domain we do not serve is refused with 403; a To that is not a SIP URI with 400', (t) => {
  t.like(planRegister(register({ To: '<sip:alice@elsewhere.org>' }), settings(), context), {
    kind: 'reject',
    status: 403,
  });
  t.like(planRegister(register({ To: '<tel:+34910000000>' }), settings(), context), { kind: 'reject', status: 400 });
});

test('expires: the contact parameter, else the Expires header, else the default; above max it is shortened', (t) => {
  const s = settings({ defaultExpiresS: 600, maxExpiresS: 3600, minExpiresS: 60 });
  const expiresOf = (headers: Record<string, string | null>) =>
    bind(planRegister(register(headers), s, context)).contacts[0]!.expires;
  t.is(expiresOf({}), 600);
  t.is(expiresOf({ Expires: '1200' }), 1200);
  t.is(expiresOf({ Expires: '1200', Contact: '<sip:alice@192.0.2.10>;expires=300' }), 300);
  t.is(expiresOf({ Expires: '999999' }), 3600);
  t.is(expiresOf({ Expires: 'soon' }), 600, 'a malformed Expires counts as absent');
  t.is(expiresOf({ Expires: '0' }), 0);
});

test('an interval below min-expires gets 423 Interval Too Brief with Min-Expires; 0 is not too brief', (t) => {
  const plan = planRegister(register({ Expires: '30' }), settings({ minExpiresS: 60 }), context);
  t.deepEqual(plan, { kind: 'reject', status: 423, reason: 'Interval Too Brief', headers: [['Min-Expires', '60']] });
  t.is(bind(planRegister(register({ Expires: '0' }), settings({ minExpiresS: 60 }), context)).contacts[0]!.expires, 0);
});

test('Contact: * only with Expires: 0 (RFC 3261 10.3 step 6)', (t) => {
  t.like(planRegister(register({ Contact: '*', Expires: '0' }), settings(), context), { kind: 'clear' });
  t.like(planRegister(register({ Contact: '*' }), settings(), context), { kind: 'reject', status: 400 });
  t.like(planRegister(register({ Contact: '*', Expires: '60' }), settings(), context), { kind: 'reject', status: 400 });
  t.like(planRegister(register({ Contact: ['*', '<sip:a@192.0.2.1>'], Expires: '0' }), settings(), context), {
    kind: 'reject',
    status: 400,
    reason: 'Bad Contact header',
  });
});

test('no Contact asks for the current bindings', (t) => {
  t.like(planRegister(register({ Contact: null }), settings(), context), { kind: 'fetch' });
});

test('malformed Contact or Path: 400 with the reason; a non-SIP contact: 400', (t) => {
  t.like(planRegister(register({ Contact: '<sip:a@192.0.2.1>;q=2' }), settings(), context), {
    kind: 'reject',
    status: 400,
    reason: 'Bad Contact header',
  });
  t.like(planRegister(register({ Contact: '<mailto:a@example.com>' }), settings(), context), {
    kind: 'reject',
    status: 400,
  });
  t.like(planRegister(register({ Path: '<sip:proxy.example.com;lr' }), settings(), context), {
    kind: 'reject',
    status: 400,
    reason: 'Bad Path header',
  });
});

test('more contacts than an AOR may keep: 403; an unknown Require: 420 naming it', (t) => {
  const contacts = Array.from({ length: 3 }, (_, i) => `<sip:a@192.0.2.${i + 1}>`).join(', ');
  t.like(planRegister(register({ Contact: contacts }), settings({ maxContactsPerAor: 2 }), context), {
    kind: 'reject',
    status: 403,
  });
  t.deepEqual(planRegister(register({ Require: 'path, 100rel' }), settings(), context), {
    kind: 'reject',
    status: 420,
    reason: 'Bad Extension',
    headers: [['Unsupported', '100rel']],
  });
});

test('Path: ours on top of the received ones, stored; echoed only when the device supports path', (t) => {
  const s = settings({ path: { uri: 'sip:10.0.0.1:5556;transport=tcp', proxyId: 'node1' } });
  const plan = bind(planRegister(register({ Path: '<sip:edge.example.com;lr>', Supported: 'path' }), s, context));
  const expected = ['sip:10.0.0.1:5556;transport=tcp;fs-proxy-id=node1;lr', 'sip:edge.example.com;lr'];
  t.deepEqual(plan.info.responsePath, expected);
  t.deepEqual(plan.info.supported, ['path']);
  const stored = parseBinding(plan.contacts[0]!.value);
  t.true(stored.ok && JSON.stringify(stored.binding.path) === JSON.stringify(expected));
  t.is(bind(planRegister(register({ Path: '<sip:edge.example.com;lr>' }), s, context)).info.responsePath, undefined);
});

test('GRUU: pub-gruu from the AOR and the instance when asked for, else the bare marker', (t) => {
  const withGruu = bind(planRegister(register({ Supported: 'gruu' }), settings(), context));
  t.regex(
    withGruu.contacts[0]!.value,
    /;pub-gruu="sip:alice@example\.com;gr=urn:uuid:00000000-0000-0000-0000-00000000000a"$/,
  );
  const without = bind(planRegister(register(), settings(), context));
  t.regex(without.contacts[0]!.value, /;pub-gruu$/);
  const disabled = bind(planRegister(register({ Supported: 'gruu' }), settings({ gruu: false }), context));
  t.regex(disabled.contacts[0]!.value, /;pub-gruu$/);
  const noInstance = bind(
    planRegister(register({ Supported: 'gruu', Contact: '<sip:a@192.0.2.1>' }), settings(), context),
  );
  t.regex(noInstance.contacts[0]!.value, /;pub-gruu$/);
});

test('without +sip.instance the field is derived from the URI: same URI, same field; another transport, another', (t) => {
  const field = (contact: string) =>
    bind(planRegister(register({ Contact: contact }), settings(), context)).contacts[0]!.field;
  const a = field('<sip:bob@192.0.2.5:5060;pn-prid=t1>');
  t.regex(a, /^fs-gen-[0-9a-f]{24}$/);
  t.is(field('<sip:bob@192.0.2.5:5060;pn-prid=t2;ob>'), a, 'push token and other parameters do not matter');
  t.is(field('<sip:bob@192.0.2.5:5060>;expires=60'), a);
  t.not(field('<sip:bob@192.0.2.5:5060;transport=tcp>'), a);
  t.not(field('<sip:bob@192.0.2.5:5061>'), a);
  t.is(field('<sip:bob@192.0.2.5;pn-tok=legacytoken>'), 'legacytoken', "Flexisip's fallback unique ids: pn-tok, line");
  const removal = (contact: string) =>
    bind(planRegister(register({ Contact: contact, Expires: '0' }), settings(), context)).contacts[0]!.uriBase;
  t.is(removal('<sip:Bob@192.0.2.5:5060;transport=udp>'), 'sip:bob@192.0.2.5:5060', 'a removal by URI names its base');
  t.is(removal('<sip:bob@192.0.2.5:5060>;+sip.instance="<urn:uuid:1>"'), '', 'a removal by instance does not');
});

test('push parameters (RFC 8599 and legacy) stay in the stored URI as received; the registrar parameters are ours', (t) => {
  const contact =
    '<sip:alice@192.0.2.10:5060;pn-provider=apns.dev;pn-prid=00fc13adff78512:voip;pn-param=ABCD1234.org.app.voip;transport=udp;callid=forged;expires=999;fs-conn-id=bad?subject=x>;+sip.instance="<urn:uuid:1>";expires=3600';
  const plan = bind(
    planRegister(register({ Contact: contact, Expires: '60' }), settings({ maxExpiresS: 600 }), context),
  );
  const value = plan.contacts[0]!.value;
  t.true(
    value.startsWith(
      '<sip:alice@192.0.2.10:5060;pn-provider=apns.dev;pn-prid=00fc13adff78512:voip;pn-param=ABCD1234.org.app.voip;transport=udp;fs-conn-id=c0ffee;callid=call-1;expires=600;cseq=1;updatedAt=1800000000;alias=no;usedAsRoute=no?path=&accept=&user-agent=>',
    ),
    value,
  );
  t.regex(
    value,
    /;\+sip\.instance="<urn:uuid:1>";expires=600;pub-gruu$/,
    'the expires parameter says what was granted',
  );
  t.is(plan.contacts[0]!.pushKey, 'apns.dev|00fc13adff78512:voip|ABCD1234.org.app.voip');
  const legacy = bind(
    planRegister(
      register({ Contact: '<sip:a@192.0.2.1;pn-type=firebase;pn-tok=tok;app-id=org.app>' }),
      settings(),
      context,
    ),
  );
  t.is(legacy.contacts[0]!.pushKey, 'legacy|firebase|tok|org.app');
});

test('a domain registration (no user in To) is marked usedAsRoute, keyed by the host', (t) => {
  const plan = bind(planRegister(register({ To: '<sip:example.com>' }), settings(), context));
  t.is(plan.info.aor, 'example.com');
  t.regex(plan.contacts[0]!.value, /;usedAsRoute=yes\?/);
});

test('property: whatever the Contact, Path, Expires and Supported hold, the plan is an answer or values that read back', (t) => {
  const piece = fc.constantFrom(
    '<sip:a@192.0.2.1>',
    'sip:b@h',
    '"D \\"q\\"" <sips:c;x=1@[2001:db8::1]:5061;transport=tls;pn-prid=t%3A1?h=v>',
    '<sip:d@h;expires=9;callid=x;fs-conn-id=y>',
    ';expires=0',
    ';expires=99999999999',
    ';q=0.5',
    ';+sip.instance="<urn:uuid:1>"',
    ';reg-id=1',
    ';pub-gruu="x"',
    ',',
    '*',
    '<tel:+1>',
    '<',
    '"',
    ';',
    ' ',
    'é',
  );
  const header = fc.array(piece, { maxLength: 6 }).map((parts) => parts.join(''));
  fc.assert(
    fc.property(
      header,
      header,
      fc.constantFrom('0', '30', '600', 'x', ''),
      fc.constantFrom('path, gruu', '', 'x'),
      (contact, path, expires, supported) => {
        let request;
        try {
          request = register({
            Contact: contact || null,
            Path: path || null,
            Expires: expires || null,
            Supported: supported || null,
          });
        } catch {
          return true; // refused by the message layer before any registrar sees it
        }
        const plan = planRegister(request, settings(), context);
        if (plan.kind === 'reject') return plan.status >= 400 && plan.reason.length > 0;
        if (plan.kind !== 'bind') return true;
        return plan.contacts.every((c) => {
          const back = parseBinding(c.value);
          return back.ok && back.binding.expires === c.expires && back.binding.callId === 'call-1';
        });
      },
    ),
  );
  t.pass();
});
