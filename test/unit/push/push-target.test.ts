import test from 'ava';
import {
  apnsTopic,
  pushDestinations,
  shortToken,
  targetFor,
  type PushDestinations,
} from '../../../src/push/push-target.js';

const params = (text: string) => new Map(text.split(';').map((pair) => pair.split('=') as [string, string]));
const destinations = (text: string): PushDestinations => {
  const parsed = pushDestinations(params(text));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

test('RFC 8599 fcm: project = pn-param, token = pn-prid whole', (t) => {
  t.deepEqual(destinations('pn-provider=fcm;pn-prid=abc:APA91b-x;pn-param=917288118967'), {
    provider: 'fcm',
    fcm: { provider: 'fcm', project: '917288118967', token: 'abc:APA91b-x' },
  });
});

test('RFC 8599 apns with voip&remote: team, bundle with dots, a token per service', (t) => {
  const value = destinations(
    'pn-provider=apns;pn-prid=AAAA:voip&BBBB:remote;pn-param=ABCDE12345.org.linphone.phone.voip&remote',
  );
  t.like(value, {
    provider: 'apns',
    voip: {
      environment: 'production',
      teamId: 'ABCDE12345',
      bundle: 'org.linphone.phone',
      service: 'voip',
      token: 'AAAA',
    },
    remote: { bundle: 'org.linphone.phone', service: 'remote', token: 'BBBB' },
  });
  if (value.provider === 'apns') {
    t.is(apnsTopic(value.voip!), 'org.linphone.phone.voip');
    t.is(apnsTopic(value.remote!), 'org.linphone.phone');
  }
});

test('apns.dev is the sandbox; one token without a service is for the one service declared', (t) => {
  t.like(destinations('pn-provider=apns.dev;pn-prid=CCCC;pn-param=TEAM.org.app.voip'), {
    voip: { environment: 'sandbox', token: 'CCCC', service: 'voip' },
  });
  // No service in pn-param means "remote" (Flexisip's rule).
  const plain = destinations('pn-provider=apns;pn-prid=DDDD;pn-param=TEAM.org.app');
  t.like(plain, { remote: { bundle: 'org.app', token: 'DDDD' } });
  t.false('voip' in plain && plain.voip !== undefined);
});

test('inconsistent or incomplete parameters are refused with the reason', (t) => {
  const error = (text: string) => {
    const parsed = pushDestinations(params(text));
    return parsed.ok ? 'ok' : parsed.error;
  };
  t.regex(
    error('pn-provider=apns;pn-prid=A:voip;pn-param=T.org.app.voip&remote'),
    /declares 2 service\(s\) but pn-prid has 1/,
  );
  t.regex(
    error('pn-provider=apns;pn-prid=A:remote;pn-param=T.org.app.voip'),
    /remote token but pn-param declares voip/,
  );
  t.regex(error('pn-provider=apns;pn-prid=A&B;pn-param=T.org.app.voip&remote'), /names no service/);
  t.regex(error('pn-provider=apns;pn-prid=A;pn-param=nodots'), /is not <TeamID>\.<bundle>/);
  t.regex(error('pn-provider=firebase;pn-prid=A;pn-param=1'), /not supported.*usually mean "fcm"/);
  t.regex(error('pn-provider=fcm;pn-prid=A'), /incomplete RFC 8599/);
  t.regex(error('pn-type=wp;pn-tok=A;app-id=x'), /legacy pn-type "wp" is not supported/);
  t.regex(error('ob='), /no push parameters/);
});

test('legacy parameters map as Flexisip maps them', (t) => {
  t.like(destinations('pn-type=apple;pn-tok=EEEE:voip;app-id=org.linphone.phone.voip.prod'), {
    voip: { environment: 'production', teamId: 'ABCD1234', bundle: 'org.linphone.phone', token: 'EEEE' },
  });
  t.like(destinations('pn-type=apple;pn-tok=FFFF;app-id=org.linphone.phone.dev'), {
    remote: { environment: 'sandbox', bundle: 'org.linphone.phone', token: 'FFFF' },
  });
  for (const type of ['android', 'firebase', 'google']) {
    t.like(destinations(`pn-type=${type};pn-tok=tok;app-id=917288118967`), {
      fcm: { project: '917288118967', token: 'tok' },
    });
  }
  // RFC 8599 wins when both triples are there.
  t.is(destinations('pn-type=android;pn-tok=old;app-id=1;pn-provider=fcm;pn-prid=new;pn-param=2').provider, 'fcm');
});

test('a call prefers VoIP, a message needs a remote token', (t) => {
  const both = destinations('pn-provider=apns;pn-prid=V:voip&R:remote;pn-param=T.org.app.voip&remote');
  t.like(targetFor(both, 'call'), { ok: true, value: { service: 'voip', token: 'V' } });
  t.like(targetFor(both, 'message'), { ok: true, value: { service: 'remote', token: 'R' } });
  const voipOnly = destinations('pn-provider=apns;pn-prid=V;pn-param=T.org.app.voip');
  t.like(targetFor(voipOnly, 'message'), { ok: false });
  const remoteOnly = destinations('pn-provider=apns;pn-prid=R;pn-param=T.org.app.remote');
  t.like(targetFor(remoteOnly, 'call'), { ok: true, value: { service: 'remote' } });
  t.is(shortToken('0123456789abcdef0123'), '012345...0123');
});
