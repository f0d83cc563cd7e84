import test from 'ava';
import { requestText } from '../../../fixtures/sip/auth/digest-client.js';
import { failures } from '../../../fixtures/sip/auth/log-capture.js';
import { attempt, challenges, makeAuth, parse, refused } from './setup.js';

// The exchange itself: challenges (401 for REGISTER, 407 for the rest; SHA-256 then MD5), good and bad credentials
// with both algorithms, nonce reuse, staleness by the injected clock, and the one log line per failure.

const alice = { from: 'sip:alice@example.com', user: 'alice' };

test('REGISTER without credentials: 401 with a SHA-256 then an MD5 challenge, one nonce, qop=auth, opaque', (t) => {
  const h = makeAuth();
  const response = refused(h.check(requestText(alice)));
  t.is(response.status, 401);
  t.is(response.reason, 'Unauthorized');
  t.truthy(response.to().tag, 'a To tag, as for any final answer');
  const [first, second, ...rest] = challenges(response);
  t.is(rest.length, 0);
  t.like(first, { realm: 'example.com', algorithm: 'SHA-256', qop: 'auth' });
  t.like(second, { realm: 'example.com', algorithm: 'MD5', qop: 'auth' });
  t.is(first!['nonce'], second!['nonce']);
  t.truthy(first!['opaque']);
  t.is(first!['stale'], undefined);
  t.regex(response.headers.get('www-authenticate') ?? '', /^Digest realm="example\.com", nonce="[A-Za-z0-9_-]{40}"/);
  const [line] = failures(h.capture);
  t.like(line, { level: 30, client: '203.0.113.7', reason: 'no-credentials', realm: 'example.com', user: 'alice' });
  t.like(line, { sip: { method: 'REGISTER' } });
});

test('other requests are challenged as a proxy: 407 with Proxy-Authenticate, answered in Proxy-Authorization', (t) => {
  const h = makeAuth();
  const invite = { ...alice, method: 'INVITE', uri: 'sip:+34910000000@example.com;user=phone' };
  const { outcome, challenge } = attempt(h, invite);
  t.like(outcome, { ok: true, how: 'digest', user: 'alice', domain: 'example.com', realm: 'example.com' });
  t.is(challenge['algorithm'], 'SHA-256');
  const first = refused(h.check(attempt(h, invite).text.replace(/Proxy-Authorization: .*\r\n/, '')));
  t.is(first.status, 407);
  t.is(first.reason, 'Proxy Authentication Required');
  t.is(first.headers.count('Proxy-Authenticate'), 2);
  t.false(first.headers.has('WWW-Authenticate'));
  // Credentials in the wrong header (Authorization on an INVITE) are not ours: challenged again.
  const misplaced = attempt(h, { ...invite, tweak: (v) => v }).text.replace('Proxy-Authorization:', 'Authorization:');
  t.is(refused(h.check(misplaced)).status, 407);
});

for (const algorithm of ['SHA-256', 'MD5'] as const) {
  test(`${algorithm}: the right password is accepted, a wrong one challenged again and logged`, (t) => {
    const h = makeAuth();
    t.like(attempt(h, { ...alice, algorithm }).outcome, { ok: true, user: 'alice' });
    const bad = attempt(h, { ...alice, algorithm, password: 'Wonderland' });
    const response = refused(bad.outcome);
    t.is(response.status, 401);
    t.is(challenges(response)[0]!['stale'], undefined, 'a wrong password is never stale');
    const line = failures(h.capture).at(-1);
    t.like(line, { level: 40, client: '203.0.113.7', reason: 'bad-password', realm: 'example.com', user: 'alice' });
  });
}

test('users with one hash: each authenticates with that algorithm only', (t) => {
  const h = makeAuth();
  t.like(attempt(h, { from: 'sip:bob@example.com', user: 'bob', algorithm: 'SHA-256' }).outcome, { ok: true });
  t.like(attempt(h, { from: 'sip:carol@example.com', user: 'carol', algorithm: 'MD5' }).outcome, { ok: true });
  const bobMd5 = attempt(h, { from: 'sip:bob@example.com', user: 'bob', algorithm: 'MD5' });
  t.like(bobMd5.outcome, { ok: false, reason: 'unsupported-algorithm' });
  t.like(failures(h.capture).at(-1), { reason: 'unsupported-algorithm', detail: 'the user has no MD5 hash' });
});

test('an unknown user is challenged again, like a wrong password, and logged as unknown-user', (t) => {
  const h = makeAuth();
  const { outcome } = attempt(h, { from: 'sip:mallory@example.com', user: 'mallory' });
  t.is(refused(outcome).status, 401);
  t.like(failures(h.capture).at(-1), { level: 40, reason: 'unknown-user', user: 'mallory' });
});

test('nonce counts: a reused nc is refused (stale=true), the next nc passes, a retransmission is told apart', (t) => {
  const h = makeAuth();
  const first = attempt(h, { ...alice, branch: 'z9hG4bK-1' });
  t.like(first.outcome, { ok: true });
  // The same nonce and nc in another transaction: a replay.
  const replay = attempt(h, { ...alice, challenge: first.challenge, branch: 'z9hG4bK-2' });
  const response = refused(replay.outcome);
  t.is(response.status, 401);
  t.is(challenges(response)[0]!['stale'], 'true');
  t.like(failures(h.capture).at(-1), { level: 40, reason: 'replayed-nonce', user: 'alice' });
  // The very same request again (a UDP retransmission): refused too, but logged as routine.
  t.like(h.check(first.text), { ok: false, reason: 'retransmission' });
  t.like(failures(h.capture).at(-1), { level: 30, reason: 'retransmission' });
  // The same bytes once no client would retransmit them any more (64*T1 later): a replay.
  h.advance(32_001);
  t.like(h.check(first.text), { ok: false, reason: 'replayed-nonce' });
  // The client's next request with the same nonce counts on.
  t.like(attempt(h, { ...alice, challenge: first.challenge, nc: 2 }).outcome, { ok: true });
  t.like(attempt(h, { ...alice, challenge: first.challenge, nc: 2 }).outcome, { ok: false, reason: 'replayed-nonce' });
});

test('staleness: past the nonce lifetime the right password gets stale=true; a fresh nonce then passes', (t) => {
  const h = makeAuth(60);
  const first = attempt(h, alice);
  t.like(first.outcome, { ok: true });
  h.advance(59_999);
  t.like(attempt(h, { ...alice, challenge: first.challenge, nc: 2 }).outcome, { ok: true });
  h.advance(1);
  const stale = attempt(h, { ...alice, challenge: first.challenge, nc: 3 });
  const response = refused(stale.outcome);
  t.is(response.status, 401);
  const fresh = challenges(response);
  t.is(fresh[0]!['stale'], 'true');
  t.not(fresh[0]!['nonce'], first.challenge['nonce']);
  t.like(failures(h.capture).at(-1), { level: 30, reason: 'stale-nonce', detail: 'nonce expired' });
  t.like(attempt(h, { ...alice, challenge: fresh[0] }).outcome, { ok: true });
  // An expired nonce with a wrong password is a wrong password, and not stale.
  const wrong = attempt(h, { ...alice, challenge: first.challenge, nc: 4, password: 'guess' });
  t.like(wrong.outcome, { ok: false, reason: 'bad-password' });
  t.is(challenges(refused(wrong.outcome))[0]!['stale'], undefined);
});

test('a nonce this process did not issue (another node, a restart): stale=true with the right password', (t) => {
  const before = makeAuth();
  const { challenge } = attempt(before, alice);
  const after = makeAuth();
  const outcome = attempt(after, { ...alice, challenge }).outcome;
  t.is(challenges(refused(outcome))[0]!['stale'], 'true');
  t.like(failures(after.capture).at(-1), { reason: 'stale-nonce', detail: 'nonce not issued by this process' });
});

test('an opaque that is not the one sent is refused', (t) => {
  const h = makeAuth();
  const { outcome } = attempt(h, { ...alice, tweak: (v) => v.replace(/opaque="[^"]*"/, 'opaque="forged"') });
  t.like(outcome, { ok: false, reason: 'bad-opaque' });
  const without = attempt(h, { ...alice, tweak: (v) => v.replace(/, opaque="[^"]*"/, '') });
  t.like(without.outcome, { ok: false, reason: 'bad-opaque' });
});

test('counters count each outcome', (t) => {
  const h = makeAuth();
  attempt(h, alice);
  attempt(h, { ...alice, password: 'no' });
  t.is(h.auth.counters['ok-digest'], 1);
  t.is(h.auth.counters['no-credentials'], 2);
  t.is(h.auth.counters['bad-password'], 1);
  t.is(h.auth.counters['replayed-nonce'], 0);
});

test('the client address in the log is the one given (the real client, not a proxy in front)', (t) => {
  const h = makeAuth();
  h.auth.check(parse(requestText({ from: 'sip:alice@example.com' })), { address: '2001:db8::7' });
  t.like(failures(h.capture).at(-1), { client: '2001:db8::7', reason: 'no-credentials' });
});
