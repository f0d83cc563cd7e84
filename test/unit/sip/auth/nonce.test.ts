import test from 'ava';
import { NonceCountWindow, RETRANSMISSION_WINDOW_MS } from '../../../../src/sip/auth/nonce-counts.js';
import { NonceIssuer } from '../../../../src/sip/auth/nonce.js';

// Nonces verify without a table (HMAC over issue time, random part and realm), expire by an injected clock, and
// only the issuing process accepts them. Nonce counts: each (nonce, nc) is accepted once, within a bounded memory.

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('a nonce is fresh until its lifetime has passed, then expired; its issue time is kept', (t) => {
  const c = clock();
  const issuer = new NonceIssuer({ lifetimeMs: 300_000, now: c.now });
  const nonce = issuer.issue('example.com');
  t.regex(nonce, /^[A-Za-z0-9_-]{40}$/);
  t.deepEqual(issuer.check(nonce, 'example.com'), { state: 'fresh', issuedAt: 1_000_000 });
  c.advance(299_999);
  t.is(issuer.check(nonce, 'example.com').state, 'fresh');
  c.advance(1);
  t.deepEqual(issuer.check(nonce, 'example.com'), { state: 'expired', issuedAt: 1_000_000 });
});

test('two nonces issued at the same instant differ', (t) => {
  const issuer = new NonceIssuer({ lifetimeMs: 1000, now: () => 5 });
  const seen = new Set(Array.from({ length: 1000 }, () => issuer.issue('r')));
  t.is(seen.size, 1000);
});

test('a nonce of another realm, another process, or edited in any byte is unknown', (t) => {
  const c = clock();
  const issuer = new NonceIssuer({ lifetimeMs: 60_000, now: c.now });
  const other = new NonceIssuer({ lifetimeMs: 60_000, now: c.now });
  const nonce = issuer.issue('example.com');
  t.is(issuer.check(nonce, 'example.org').state, 'unknown');
  t.is(other.check(nonce, 'example.com').state, 'unknown');
  const bytes = Buffer.from(nonce, 'base64url');
  for (let i = 0; i < bytes.length; i++) {
    const edited = Buffer.from(bytes);
    edited[i] = edited[i]! ^ 0x01;
    t.is(issuer.check(edited.toString('base64url'), 'example.com').state, 'unknown', `byte ${i}`);
  }
  for (const junk of ['', 'abc', nonce.slice(1), `${nonce}A`, nonce.replace(/^./, '+'), 'x'.repeat(40)]) {
    t.is(issuer.check(junk, 'example.com').state, 'unknown', junk);
  }
});

test('a nonce from the future (issued after now) is unknown', (t) => {
  const c = clock(2_000_000);
  const issuer = new NonceIssuer({ lifetimeMs: 60_000, now: c.now, secret: Buffer.alloc(32, 1) });
  const nonce = issuer.issue('r');
  const earlier = new NonceIssuer({ lifetimeMs: 60_000, now: () => 1_000_000, secret: Buffer.alloc(32, 1) });
  t.is(earlier.check(nonce, 'r').state, 'unknown');
});

const expiresAfter = (lifetime: number) => (issuedAt: number, now: number) => now - issuedAt >= lifetime;

test('each nonce count is accepted once; out-of-order counts within the window pass once each', (t) => {
  const window = new NonceCountWindow(10, expiresAfter(1000));
  t.is(window.use('n1', 0, 1, 0, 'b1'), 'ok');
  t.is(window.use('n1', 0, 1, 0, 'b2'), 'replayed');
  t.is(window.use('n1', 0, 3, 0, 'b3'), 'ok');
  t.is(window.use('n1', 0, 2, 0, 'b4'), 'ok', 'a count below the highest, never seen: parallel requests');
  t.is(window.use('n1', 0, 2, 0, 'b5'), 'replayed');
  t.is(window.use('n1', 0, 3, 0, 'b3'), 'retransmission', 'the last count again from the same transaction');
  t.is(window.use('n1', 0, 40, 0, 'b6'), 'ok');
  t.is(window.use('n1', 0, 8, 0, 'b7'), 'replayed', 'too far below the highest to tell: refused');
  t.is(window.use('n1', 0, 39, 0, 'b8'), 'ok');
  t.is(window.use('n2', 0, 1, 0, 'b1'), 'ok', 'counts are per nonce');
});

test('the same request again is a retransmission only while a client may retransmit it (64*T1), then a replay', (t) => {
  const window = new NonceCountWindow(10, expiresAfter(300_000));
  t.is(window.use('n1', 0, 1, 1000, 'b1'), 'ok');
  t.is(window.use('n1', 0, 1, 1000 + RETRANSMISSION_WINDOW_MS, 'b1'), 'retransmission', 'Timer B/F not yet fired');
  t.is(window.use('n1', 0, 1, 1001 + RETRANSMISSION_WINDOW_MS, 'b1'), 'replayed', 'the transaction is over');
  t.is(window.use('n1', 0, 2, 40_000, 'b2'), 'ok');
  t.is(window.use('n1', 0, 2, 40_100, 'b2'), 'retransmission', 'the window starts at the first use of each count');
});

test('expired nonces are forgotten; past the bound the oldest is dropped and never accepted again', (t) => {
  const window = new NonceCountWindow(3, expiresAfter(1000));
  t.is(window.use('a', 0, 1, 10, 'x'), 'ok');
  t.is(window.use('b', 5, 1, 10, 'x'), 'ok');
  t.is(window.use('c', 8, 1, 10, 'x'), 'ok');
  t.is(window.size, 3);
  t.is(window.use('d', 9, 1, 10, 'x'), 'ok');
  t.is(window.size, 3, 'bounded');
  // "a" was dropped: it may have been used, so it is refused (the caller answers stale), as is any nonce issued
  // no later than it that the window does not know.
  t.is(window.use('a', 0, 2, 10, 'y'), 'forgotten');
  t.is(window.use('never-seen', 0, 1, 10, 'y'), 'forgotten');
  t.is(window.use('e', 9, 1, 10, 'y'), 'ok', 'later nonces are still remembered');
  // Once their lifetime has passed, entries go (the issuer refuses those nonces as expired from then on).
  window.use('f', 2000, 1, 2000, 'x');
  t.is(window.size, 1);
});
