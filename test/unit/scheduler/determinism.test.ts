import test from 'ava';
import { schedule } from '../../../src/scheduler/schedule.js';
import type { SchedulerInput } from '../../../src/scheduler/types.js';
import { scenario, stgCluster, type Scenario } from './scenario.js';

// The same situation gives the same output, byte for byte, whatever order the input lists things in.

const busy = (): Scenario =>
  stgCluster()
    .nodes('stg4')
    .standby('stg3')
    .offline('stg4')
    .failed('stg2', 'haproxy', 3)
    .failed('stg1', 'vip', 1)
    .failed('stg1', 'vip', 2, 30_000);

test('the order of input nodes does not change the output', (t) => {
  const expected = JSON.stringify(busy().run());
  for (const order of [
    (nodes: SchedulerInput['nodes']) => [...nodes].reverse(),
    (nodes: SchedulerInput['nodes']) => [nodes[2]!, nodes[0]!, nodes[3]!, nodes[1]!],
  ]) {
    t.is(JSON.stringify(busy().reorderNodes(order).run()), expected);
  }
});

test('the order of failure entries does not change the output', (t) => {
  const input = busy().input();
  const reversed = { ...input, failures: [...input.failures].reverse() };
  t.deepEqual(schedule(reversed), schedule(input));
});

test('node lists are sorted and objects list nodes in id order', (t) => {
  const out = scenario()
    .nodes('stg3', 'stg1', 'stg2')
    .leader('stg2')
    .resource('haproxy')
    .resource('vip', {
      placement: 'leader',
    })
    .run();
  t.deepEqual(out.placement.haproxy, ['stg1', 'stg2', 'stg3']);
  t.deepEqual(Object.keys(out.why.vip ?? {}), ['stg1', 'stg3']);
});

test('ineligibleToLead lists nodes in id order', (t) => {
  const out = stgCluster()
    .failed('stg3', 'vip', 3)
    .standby('stg2')
    .reorderNodes((nodes) => nodes.reverse())
    .run();
  t.deepEqual(Object.keys(out.ineligibleToLead), ['stg2', 'stg3']);
});

test('the handover successor does not depend on input order', (t) => {
  const forward = stgCluster().standby('stg1').run();
  const reversed = stgCluster()
    .standby('stg1')
    .reorderNodes((nodes) => nodes.reverse())
    .run();
  t.is(forward.handover?.to, 'stg2');
  t.deepEqual(reversed.handover, forward.handover);
});

test('schedule leaves its input untouched and gives the same output twice', (t) => {
  const input = busy().current('haproxy', 'stg2', 'stg1').input();
  const copy = structuredClone(input);
  const first = schedule(input);
  t.deepEqual(input, copy);
  t.deepEqual(schedule(input), first);
});

test('a deep-frozen input is accepted (nothing is written into it)', (t) => {
  const input = deepFreeze(busy().maintenance().current('haproxy', 'stg2', 'stg1').input());
  t.notThrows(() => schedule(input));
  t.deepEqual(schedule(input).placement.haproxy, ['stg1', 'stg2']);
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
