import test from 'ava';
import { planCampaign } from '../../../src/cluster/campaign-plan.js';
import type { LeaseObservation } from '../../../src/cluster/lease-observation.js';
import type { NodeView } from '../../../src/cluster/membership.js';

const free: LeaseObservation = {
  total: 3,
  majority: 2,
  reachable: 3,
  counted: 3,
  quorum: true,
  holder: undefined,
  holderValidMs: 0,
  freeInMs: 0,
  fence: 4,
  handoff: undefined,
  definition: undefined,
  members: [],
};

function online(id: string, refusal: string | null = null): NodeView {
  return { id, state: 'online', heartbeatAgeMs: 10, heartbeat: { refusal } as NodeView['heartbeat'] };
}
const nodes = [online('stg1'), online('stg2'), online('stg3')];

test('candidates go in node order, rankDelay apart', (t) => {
  t.is(planCampaign('stg1', free, nodes, 150, undefined).afterFreeMs, 0);
  t.is(planCampaign('stg2', free, nodes, 150, undefined).afterFreeMs, 150);
  t.is(planCampaign('stg3', free, nodes, 150, undefined).afterFreeMs, 300);
});

test('the holder that died takes no rank, even while its heartbeat lasts', (t) => {
  const plan = planCampaign('stg2', free, nodes, 150, 'stg1');
  t.is(plan.afterFreeMs, 0);
  t.is(plan.rank, 0);
});

test('a node that refuses to lead or is in standby takes no rank', (t) => {
  const mixed = [
    online('stg1', 'cannot validate the definition'),
    { ...online('stg2'), state: 'standby' as const },
    online('stg3'),
  ];
  t.is(planCampaign('stg3', free, mixed, 150, undefined).rank, 0);
});

test('the named successor goes at once; the others wait for its turn', (t) => {
  const handedOff = { ...free, handoff: { node: 'stg3', pttlMs: 2000 } };
  t.is(planCampaign('stg3', handedOff, nodes, 150, 'stg1').afterFreeMs, 0);
  t.is(planCampaign('stg2', handedOff, nodes, 150, 'stg1').afterFreeMs, 2000);
});

test('without quorum nobody campaigns', (t) => {
  const plan = planCampaign('stg1', { ...free, quorum: false, counted: 1, freeInMs: undefined }, nodes, 150, undefined);
  t.is(plan.afterFreeMs, undefined);
  t.regex(plan.why, /1\/3 lock members/);
});
