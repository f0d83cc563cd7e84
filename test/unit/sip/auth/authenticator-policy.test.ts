import test from 'ava';
import fc from 'fast-check';
import { removeOwnCredentials } from '../../../../src/sip/auth/select-credentials.js';
import { SipParseError } from '../../../../src/sip/message/index.js';
import { requestText } from '../../../fixtures/sip/auth/digest-client.js';
import { failures } from '../../../fixtures/sip/auth/log-capture.js';
import { attempt, challenges, makeAuth, parse, refused } from './setup.js';

// Who may do what: the digest uri must be the Request-URI, credentials of other realms are not ours, a user cannot
// speak or register as another, malformed credentials get 400 and never an exception, pass-through and trusted
// sources are not challenged, and a domain without auth configuration is refused.

const alice = { from: 'sip:alice@example.com', user: 'alice' };

test('the digest uri must be the Request-URI: another one is 400 wrong-uri; the same URI written otherwise passes', (t) => {
  const h = makeAuth();
  const other = attempt(h, { ...alice, tweak: (v) => v.replace('uri="sip:example.com"', 'uri="sip:example.org"') });
  const response = refused(other.outcome);
  t.is(response.status, 400);
  t.is(response.reason, 'Digest uri does not match the Request-URI');
  t.like(failures(h.capture).at(-1), { level: 40, reason: 'wrong-uri', user: 'alice' });
  // RFC 3261 19.1.4: the host compares without case. The response is computed over the uri as the client wrote it.
  const written = attempt(h, { ...alice, uri: 'sip:EXAMPLE.com' });
  t.like(written.outcome, { ok: true });
  const equivalent = attempt(h, { ...alice, uri: 'sip:example.com', digestUri: 'sip:Example.COM' });
  t.like(equivalent.outcome, { ok: true });
  const notEquivalent = attempt(h, { ...alice, uri: 'sip:example.com', digestUri: 'sip:example.com:5060' });
  t.like(notEquivalent.outcome, { ok: false, reason: 'wrong-uri' });
});

test('credentials for other realms are not ours: challenged (wrong-realm); ours among them are used', (t) => {
  const h = makeAuth();
  const foreign = attempt(h, { ...alice, realm: 'asterisk' });
  t.is(refused(foreign.outcome).status, 401);
  t.like(failures(h.capture).at(-1), { reason: 'wrong-realm', detail: 'credentials for "asterisk"' });
  const theirs =
    'Digest username="alice", realm="asterisk", nonce="x", uri="sip:example.com", response="00", qop=auth, nc=00000001, cnonce="c"';
  const both = attempt(h, { ...alice, extra: [['Authorization', theirs]] });
  t.like(both.outcome, { ok: true, user: 'alice' });
});

test("no impersonation: credentials of one user for another user's From or To are refused 403", (t) => {
  const h = makeAuth();
  const register = attempt(h, { from: 'sip:bob@example.com', user: 'alice' });
  const response = refused(register.outcome);
  t.is(response.status, 403);
  t.like(failures(h.capture).at(-1), {
    level: 40,
    reason: 'identity-mismatch',
    user: 'alice',
    detail: 'To user is not the authenticated user',
  });
  // A third-party registration (From alice, To bob) is refused too under the strict policy.
  const thirdParty = attempt(h, { ...alice, to: 'sip:bob@example.com' });
  t.like(thirdParty.outcome, { ok: false, reason: 'identity-mismatch' });
  t.like(failures(h.capture).at(-1), { detail: 'To user is not the authenticated user' });
  const invite = attempt(h, {
    from: 'sip:carol@example.com',
    user: 'alice',
    method: 'INVITE',
    uri: 'sip:1000@example.com',
  });
  t.like(invite.outcome, { ok: false, reason: 'identity-mismatch' });
  t.is(refused(invite.outcome).status, 403);
  // Calling anyone is fine: only From names the caller.
  const call = attempt(h, { ...alice, method: 'INVITE', uri: 'sip:bob@example.com', to: 'sip:bob@example.com' });
  t.like(call.outcome, { ok: true, user: 'alice' });
});

test('identity any: a user of the domain may use any identity in it', (t) => {
  const h = makeAuth();
  const gateway = attempt(h, {
    from: 'sip:+34910000001@open.example.com',
    user: 'gateway',
    method: 'INVITE',
    uri: 'sip:x@open.example.com',
  });
  t.like(gateway.outcome, { ok: true, user: 'gateway', domain: 'open.example.com' });
  // That domain offers SHA-256 only.
  const first = refused(h.check(requestText({ from: 'sip:gateway@open.example.com' })));
  t.deepEqual(
    challenges(first).map((c) => c['algorithm']),
    ['SHA-256'],
  );
  const md5 = attempt(h, {
    from: 'sip:gateway@open.example.com',
    user: 'gateway',
    algorithm: 'MD5',
    challenge: challenges(first)[0],
  });
  t.like(md5.outcome, { ok: false, reason: 'unsupported-algorithm' });
});

test("malformed credentials: 400 with the parser's reason, logged as malformed, never an exception", (t) => {
  const h = makeAuth();
  const cases: [string, RegExp][] = [
    ['Digest username="alice", realm="example.com", nonce="n', /unterminated quoted string/],
    ['Digest username="alice" realm="example.com"', /a comma expected/],
    ['Digest realm="example.com"', /no username parameter/],
    [
      'Digest username="a", realm="example.com", nonce="n", uri="sip:example.com", response="00"',
      /qop=auth is required/,
    ],
    [
      'Digest username="a", realm="example.com", nonce="n", uri="sip:example.com", response="00", qop=auth-int, nc=00000001, cnonce="c"',
      /qop=auth is required/,
    ],
    [
      'Digest username="a", realm="example.com", nonce="n", uri="sip:example.com", response="00", qop=auth, nc=00000001, cnonce="c", userhash=true',
      /userhash was not offered/,
    ],
    [
      'Digest username="a", realm="example.com", nonce="n", uri="sip:example.com", response="00", qop=auth, nc=00000001, cnonce="c", algorithm=MD5',
      /not a MD5 hash/,
    ],
    [
      `Digest username="a", realm="example.com", nonce="n", uri="sip:example.com", response="${'0'.repeat(32)}", qop=auth, nc=00000000, cnonce="c"`,
      /counts start at 1/,
    ],
  ];
  for (const [value, detail] of cases) {
    const outcome = h.check(requestText({ ...alice, extra: [['Authorization', value]] }));
    const response = refused(outcome);
    t.is(response.status, 400, value);
    t.regex(response.reason, /^Bad Authorization header$/, value);
    t.like(failures(h.capture).at(-1), { reason: 'malformed' });
    t.regex(String(failures(h.capture).at(-1)!['detail']), detail, value);
  }
  // An algorithm we do not offer is not malformed: the client may pick another from a fresh challenge.
  const sess = attempt(h, {
    ...alice,
    algorithm: 'MD5',
    tweak: (v) => v.replace('algorithm=MD5', 'algorithm=MD5-sess'),
  });
  t.is(refused(sess.outcome).status, 401);
  t.like(failures(h.capture).at(-1), { reason: 'unsupported-algorithm', detail: 'algorithm MD5-sess' });
});

test('fast-check: any Authorization value in a REGISTER gives an answer (400 or 401), never an exception', (t) => {
  const h = makeAuth();
  const base = parse(requestText(alice));
  const valueChars = fc.string({ maxLength: 200, unit: 'binary' }).map((s) => s.replace(/[\r\n]/g, ''));
  const digestish = valueChars.map((s) => `Digest username="alice", realm="example.com", ${s}`);
  fc.assert(
    fc.property(fc.oneof(valueChars, digestish), (value) => {
      const request = parse(base.toString());
      request.headers.set('Authorization', value);
      const outcome = h.auth.check(request, { address: '203.0.113.9' });
      return !outcome.ok && [400, 401].includes(outcome.response.status);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('pass-through domains are not challenged and their credentials are left as they are', (t) => {
  const h = makeAuth();
  const pbxCredentials =
    'Digest username="100", realm="asterisk", nonce="abc", uri="sip:pbx.example.net", response="00"';
  const text = requestText({ from: 'sip:100@pbx.example.net', extra: [['Authorization', pbxCredentials]] });
  const request = parse(text);
  t.deepEqual(h.auth.check(request, { address: '203.0.113.7' }), {
    ok: true,
    how: 'pass-through',
    user: undefined,
    domain: 'pbx.example.net',
  });
  t.is(request.headers.get('authorization'), pbxCredentials);
  t.is(failures(h.capture).length, 0);
});

test('trusted sources (also as IPv4-mapped IPv6), ACK and CANCEL are never challenged', (t) => {
  const h = makeAuth();
  const invite = requestText({ ...alice, method: 'INVITE', uri: 'sip:bob@example.com' });
  t.like(h.check(invite, { address: '10.0.0.5' }), { ok: true, how: 'trusted' });
  t.like(h.check(invite, { address: '::ffff:10.0.0.5' }), { ok: true, how: 'trusted' });
  t.like(h.check(invite, { address: '10.0.0.6' }), { ok: false });
  for (const method of ['ACK', 'CANCEL']) {
    t.like(h.check(requestText({ ...alice, method, uri: 'sip:bob@example.com' })), { ok: true, how: 'exempt' });
  }
});

test('a domain without auth configuration is refused 403 and logged as unknown-domain', (t) => {
  const h = makeAuth();
  const outcome = h.check(requestText({ from: 'sip:eve@elsewhere.example' }));
  t.is(refused(outcome).status, 403);
  t.like(failures(h.capture).at(-1), { level: 40, reason: 'unknown-domain', realm: 'elsewhere.example', user: 'eve' });
  const tel = requestText({ from: 'sip:alice@example.com', method: 'INVITE', uri: 'sip:1@example.com' }).replace(
    /From: <[^>]*>/,
    'From: <tel:+34910000000>',
  );
  t.like(h.check(tel), { ok: false, reason: 'unknown-domain' });
});

test("removeOwnCredentials drops this realm's Proxy-Authorization and keeps the others untouched", (t) => {
  const ours = 'Digest username="alice", realm="example.com", nonce="n", uri="sip:x", response="00"';
  const theirs = 'Digest username="100", realm="asterisk", nonce="m", uri="sip:x", response="11"';
  const broken = 'Digest username="unterminated';
  const request = parse(
    requestText({
      ...alice,
      method: 'INVITE',
      extra: [
        ['Proxy-Authorization', ours],
        ['Proxy-Authorization', theirs],
        ['Proxy-Authorization', broken],
      ],
    }),
  );
  removeOwnCredentials(request, 'example.com');
  t.deepEqual(request.headers.lines('proxy-authorization'), [theirs, broken]);
  removeOwnCredentials(request, 'asterisk');
  t.deepEqual(request.headers.lines('proxy-authorization'), [broken]);
});

test('a domain selector that meets a malformed header gives 400; one with a bug throws (it is not bad input)', (t) => {
  const h = makeAuth();
  const request = parse(requestText(alice));
  const outcome = h.auth.check(request, { address: '203.0.113.7' }, () => {
    throw new SipParseError('Bad P-Preferred-Identity header', 'no URI');
  });
  const response = refused(outcome);
  t.is(response.status, 400);
  t.is(response.reason, 'Bad P-Preferred-Identity header');
  t.like(failures(h.capture).at(-1), { reason: 'malformed', realm: '', user: 'alice' });
  t.throws(
    () =>
      h.auth.check(request, { address: '203.0.113.7' }, () => {
        throw new TypeError('a bug');
      }),
    { instanceOf: TypeError },
  );
  // A custom selector: authenticate by the Request-URI's domain instead.
  const byRequestUri = h.auth.check(
    parse(requestText({ ...alice, uri: 'sip:pbx.example.net' })),
    { address: '203.0.113.7' },
    (r) => (r.uri().kind === 'sip' ? (r.uri() as { hostname: string }).hostname : undefined),
  );
  t.like(byRequestUri, { ok: true, how: 'pass-through', domain: 'pbx.example.net' });
});
