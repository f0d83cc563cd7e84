import test from 'ava';
import { observeLease, type MemberLeaseState } from '../../../src/cluster/lease-observation.js';

function member(
  name: string,
  holder: string | undefined,
  pttlMs: number,
  extra: Partial<MemberLeaseState> = {},
): MemberLeaseState {
  return {
    member: name,
    counted: true,
    reachable: true,
    holder: holder ? { node: holder, term: 7, instance: 'i' } : undefined,
    pttlMs: holder ? pttlMs : 0,
    fence: 7,
    handoff: undefined,
    definition: undefined,
    ...extra,
  };
}

test('a lease held on every member: held for the majority-th longest time, free after the majority-th shortest', (t) => {
  const seen = observeLease([member('a', 'stg1', 1900), member('b', 'stg1', 1500), member('c', 'stg1', 1800)], 3, 2);
  t.is(seen.holder?.node, 'stg1');
  t.is(seen.holderValidMs, 1800);
  t.is(seen.freeInMs, 1800);
  t.true(seen.quorum);
});

test('a lease held on a minority: no valid holder, free now', (t) => {
  const seen = observeLease([member('a', 'stg1', 1900), member('b', undefined, 0), member('c', undefined, 0)], 3, 2);
  t.is(seen.holderValidMs, 0);
  t.is(seen.freeInMs, 0);
});

test('members that do not count are left out: no quorum, no time to campaign', (t) => {
  const seen = observeLease(
    [
      member('a', 'stg1', 1900),
      member('b', undefined, 0, { counted: false }),
      member('c', undefined, 0, { counted: false, reachable: false }),
    ],
    3,
    2,
  );
  t.false(seen.quorum);
  t.is(seen.freeInMs, undefined);
  t.is(seen.counted, 1);
});

test('the fence is the highest term any member reports, counted or not', (t) => {
  const seen = observeLease(
    [member('a', undefined, 0), member('b', undefined, 0, { fence: 9, counted: false }), member('c', undefined, 0)],
    3,
    2,
  );
  t.is(seen.fence, 9);
});

test('the newest definition is the highest (term, version)', (t) => {
  const seen = observeLease(
    [
      member('a', undefined, 0, { definition: { term: 3, version: 9 } }),
      member('b', undefined, 0, { definition: { term: 4, version: 2 } }),
      member('c', undefined, 0),
    ],
    3,
    2,
  );
  t.deepEqual(seen.definition, { term: 4, version: 2 });
});
