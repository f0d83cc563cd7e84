import test from 'ava';
import { SourceSlots } from '../../../../src/sip/transport/source-slots.js';

// Connection slots per source and in all: taken at admission, given back once.

test('a source gets up to its limit; a slot given back (twice) frees exactly one', (t) => {
  const slots = new SourceSlots(2, 10, []);
  const first = slots.take('192.0.2.1')!;
  t.truthy(slots.take('192.0.2.1'));
  t.is(slots.take('192.0.2.1'), undefined);
  t.truthy(slots.take('192.0.2.2'));
  first();
  first();
  t.is(slots.held('192.0.2.1'), 1);
  t.is(slots.inAll, 2);
  t.truthy(slots.take('192.0.2.1'));
});

test('exempt sources and slots taken for the total only are not limited per source, but count in all', (t) => {
  const slots = new SourceSlots(1, 3, ['192.0.2.9']);
  t.truthy(slots.take('192.0.2.9'));
  t.truthy(slots.take('192.0.2.9'));
  t.truthy(slots.take('198.51.100.1', false));
  t.is(slots.take('198.51.100.2'), undefined, 'the total is reached');
  t.is(slots.held('192.0.2.9'), 0);
  t.is(slots.held('198.51.100.1'), 0);
});
