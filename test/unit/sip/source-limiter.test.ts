import test from 'ava';
import { SourceRateLimiter } from '../../../src/sip/transport/index.js';

test('a source gets its burst, then its rate; other sources are not affected', (t) => {
  let now = 0;
  const limiter = new SourceRateLimiter(10, 5, [], () => now);
  const taken = Array.from({ length: 8 }, () => limiter.take('192.0.2.1'));
  t.deepEqual(taken, [true, true, true, true, true, false, false, false]);
  t.true(limiter.take('192.0.2.2'));
  now += 100; // 10 per second: one token in 100 ms
  t.true(limiter.take('192.0.2.1'));
  t.false(limiter.take('192.0.2.1'));
  now += 10_000;
  t.is(
    Array.from({ length: 8 }, () => limiter.take('192.0.2.1')).filter(Boolean).length,
    5,
    'never more than the burst',
  );
});

test('exempt sources are never limited', (t) => {
  const limiter = new SourceRateLimiter(1, 1, ['127.0.0.1'], () => 0);
  t.true(Array.from({ length: 100 }, () => limiter.take('127.0.0.1')).every(Boolean));
  t.true(limiter.isExempt('127.0.0.1'));
  t.is(limiter.tracked, 0);
});

test('sources whose bucket refilled are forgotten; a full table refuses new sources until a sweep frees room', (t) => {
  let now = 0;
  const limiter = new SourceRateLimiter(10, 2, [], () => now, 3);
  for (const source of ['a', 'b', 'c']) limiter.take(source);
  t.is(limiter.tracked, 3);
  t.false(limiter.take('d'), 'table full and nothing to sweep: refused');
  now += 100;
  t.true(limiter.take('d'), 'the others refilled: swept, then admitted');
  t.is(limiter.tracked, 1);
});
