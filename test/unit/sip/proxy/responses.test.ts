import test from 'ava';
import type { SipRequest } from '../../../../src/sip/message/index.js';
import {
  DEVICE,
  DOMAIN,
  PBX1,
  PBX2,
  answer,
  contact,
  fromPbx,
  requestText,
  settle,
  setup,
  type Setup,
} from './harness.js';

const BOB = `sip:bob@${DOMAIN}`;

/** Bob registered on two phones; the PBX calls him. */
async function forkToTwo(s: Setup) {
  s.contacts.byAor.set(`bob@${DOMAIN}`, [contact('sip:bob@198.51.100.1:5060'), contact('sip:bob@198.51.100.2:5060')]);
  await s.deliver(requestText('INVITE', BOB, { branch: 'z9hG4bKcaller' }), fromPbx());
  const one = s.transport.requestsTo('198.51.100.1', 'INVITE')[0]!;
  const two = s.transport.requestsTo('198.51.100.2', 'INVITE')[0]!;
  const from = (address: string) => ({ ...fromPbx(), address, port: 5060 });
  return { one, two, from };
}

async function pbxCall(s: Setup, options: Parameters<typeof requestText>[2] = {}): Promise<SipRequest> {
  await s.deliver(requestText('INVITE', `sip:200@${DOMAIN}`, { branch: 'z9hG4bKdevcall', ...options }));
  return s.transport.requestsTo(PBX1.address, 'INVITE')[0]!;
}

test('100 Trying at once; a 100 from downstream is not passed on, a 180 and the 200 are, without our Via', async (t) => {
  const s = setup();
  const invite = await pbxCall(s);
  t.deepEqual(s.transport.statusesTo(DEVICE.address), [100]);
  await s.deliver(answer(invite, 100), fromPbx());
  await s.deliver(answer(invite, 180), fromPbx());
  await s.deliver(answer(invite, 200), fromPbx());
  const up = s.transport.responsesTo(DEVICE.address);
  t.deepEqual(
    up.map((r) => r.status),
    [100, 180, 200],
  );
  t.is(up[2]!.vias().length, 1);
  t.is(up[2]!.topVia().branch, 'z9hG4bKdevcall');
});

test('forking: the first 2xx goes up at once and the other branch is CANCELled; a second 2xx still goes up', async (t) => {
  const s = setup();
  const { one, two, from } = await forkToTwo(s);
  await s.deliver(answer(one, 180, 'p1'), from('198.51.100.1'));
  await s.deliver(answer(two, 180, 'p2'), from('198.51.100.2'));
  await s.deliver(answer(one, 200, 'p1'), from('198.51.100.1'));
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 180, 180, 200]);
  const [cancel] = s.transport.requestsTo('198.51.100.2', 'CANCEL');
  t.truthy(cancel, 'the other phone stops ringing');
  t.is(cancel!.topVia().branch, two.topVia().branch);
  t.is(s.transport.requestsTo('198.51.100.1', 'CANCEL').length, 0);
  // The other phone was answered at the same moment: its 2xx goes up too (RFC 3261 16.7 step 5).
  await s.deliver(answer(two, 200, 'p2'), from('198.51.100.2'));
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 180, 180, 200, 200]);
  await s.deliver(answer(two, 487, 'p2'), from('198.51.100.2'));
  t.is(s.transport.statusesTo(PBX1.address).length, 5, 'no final after a 2xx');
});

test('a branch without provisional is CANCELled as soon as its first provisional arrives (RFC 3261 9.1)', async (t) => {
  const s = setup();
  const { one, two, from } = await forkToTwo(s);
  await s.deliver(answer(one, 200, 'p1'), from('198.51.100.1'));
  t.is(s.transport.requestsTo('198.51.100.2', 'CANCEL').length, 0);
  await s.deliver(answer(two, 100), from('198.51.100.2'));
  t.is(s.transport.requestsTo('198.51.100.2', 'CANCEL').length, 1);
});

test('a 6xx cancels the other branches and is the answer once they are done', async (t) => {
  const s = setup();
  const { one, two, from } = await forkToTwo(s);
  await s.deliver(answer(one, 180, 'p1'), from('198.51.100.1'));
  await s.deliver(answer(two, 603, 'p2'), from('198.51.100.2'));
  t.is(s.transport.requestsTo('198.51.100.1', 'CANCEL').length, 1);
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 180]);
  await s.deliver(answer(one, 487, 'p1'), from('198.51.100.1'));
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 180, 603]);
});

test('best response: the lowest class wins (302 over 486); challenges of several 401s are gathered', async (t) => {
  const s = setup();
  const { one, two, from } = await forkToTwo(s);
  await s.deliver(answer(one, 486, 'p1'), from('198.51.100.1'));
  await s.deliver(answer(two, 302, 'p2', ['Contact: <sip:elsewhere@198.51.100.9>']), from('198.51.100.2'));
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 302]);

  const c = setup();
  const fork = await forkToTwo(c);
  await c.deliver(
    answer(fork.one, 401, 'p1', ['WWW-Authenticate: Digest realm="a", nonce="1"']),
    fork.from('198.51.100.1'),
  );
  await c.deliver(
    answer(fork.two, 401, 'p2', ['WWW-Authenticate: Digest realm="b", nonce="2"']),
    fork.from('198.51.100.2'),
  );
  const [, challenge] = c.transport.responsesTo(PBX1.address);
  t.is(challenge!.status, 401);
  t.deepEqual(challenge!.headers.lines('www-authenticate'), [
    'Digest realm="a", nonce="1"',
    'Digest realm="b", nonce="2"',
  ]);
});

test("a 486 is ACKed hop by hop by the proxy; the caller's own ACK is absorbed, never forwarded", async (t) => {
  const s = setup();
  const invite = await pbxCall(s);
  await s.deliver(answer(invite, 486, 'busy'), fromPbx());
  const [ack] = s.transport.requestsTo(PBX1.address, 'ACK');
  t.truthy(ack);
  t.is(ack!.topVia().branch, invite.topVia().branch);
  t.is(ack!.to().tag, 'busy');
  t.deepEqual(s.transport.statusesTo(DEVICE.address), [100, 486]);
  const busy = s.transport.responsesTo(DEVICE.address)[1]!;
  await s.deliver(requestText('ACK', `sip:200@${DOMAIN}`, { branch: 'z9hG4bKdevcall', toTag: busy.to().tag ?? '' }));
  t.is(s.transport.requestsTo(PBX1.address, 'ACK').length, 1);
  t.is(s.layer.counters.acksAbsorbed, 1);
});

test('a retransmitted INVITE is absorbed: forwarded once, the caller gets the last provisional again', async (t) => {
  const s = setup();
  const invite = await pbxCall(s);
  await s.deliver(answer(invite, 180), fromPbx());
  await s.deliver(requestText('INVITE', `sip:200@${DOMAIN}`, { branch: 'z9hG4bKdevcall' }));
  t.is(s.transport.requestsTo(PBX1.address, 'INVITE').length, 1);
  t.deepEqual(s.transport.statusesTo(DEVICE.address), [100, 180, 180]);
});

test('CANCEL: 200 hop by hop, CANCEL downstream on the same branch, the 487 is the answer and is ACKed', async (t) => {
  const s = setup();
  const invite = await pbxCall(s);
  await s.deliver(answer(invite, 180), fromPbx());
  await s.deliver(requestText('CANCEL', `sip:200@${DOMAIN}`, { branch: 'z9hG4bKdevcall' }));
  const [cancel] = s.transport.requestsTo(PBX1.address, 'CANCEL');
  t.is(cancel!.topVia().branch, invite.topVia().branch);
  const cancelOk = s.transport.responsesTo(DEVICE.address).find((r) => r.cseq().method === 'CANCEL');
  t.is(cancelOk?.status, 200);
  await s.deliver(answer(invite, 487), fromPbx());
  const finals = s.transport.responsesTo(DEVICE.address).filter((r) => r.cseq().method === 'INVITE' && r.status >= 200);
  t.deepEqual(
    finals.map((r) => r.status),
    [487],
  );
  t.is(s.transport.requestsTo(PBX1.address, 'ACK').length, 1);
});

test('CANCEL racing a 200: the 200 still goes up; the caller must ACK it and hang up with a BYE', async (t) => {
  const s = setup();
  const invite = await pbxCall(s);
  await s.deliver(answer(invite, 180), fromPbx());
  await s.deliver(requestText('CANCEL', `sip:200@${DOMAIN}`, { branch: 'z9hG4bKdevcall' }));
  // The PBX answered before the CANCEL reached it: 200 for the INVITE, then 481 (or 200) for the CANCEL.
  await s.deliver(answer(invite, 200, 'answered'), fromPbx());
  const statuses = s.transport.responsesTo(DEVICE.address).map((r) => `${r.status} ${r.cseq().method}`);
  t.deepEqual(statuses, ['100 INVITE', '180 INVITE', '200 CANCEL', '200 INVITE']);
});

test('CANCEL for an unknown INVITE is answered 481; a CANCEL while the route is being decided ends in 487', async (t) => {
  const s = setup();
  await s.deliver(requestText('CANCEL', `sip:200@${DOMAIN}`, { branch: 'z9hG4bKnothing' }));
  t.deepEqual(s.transport.statusesTo(DEVICE.address), [481]);

  const slow = setup();
  let release: () => void = () => undefined;
  slow.contacts.lookup = () => new Promise((resolve) => (release = () => resolve([]))); // a slow Redis
  await slow.deliver(requestText('INVITE', `sip:bob@${DOMAIN}`, { branch: 'z9hG4bKslow' }), fromPbx());
  await slow.deliver(requestText('CANCEL', `sip:bob@${DOMAIN}`, { branch: 'z9hG4bKslow' }), fromPbx());
  release();
  await settle();
  t.deepEqual(
    slow.transport.responsesTo(PBX1.address).map((r) => `${r.status} ${r.cseq().method}`),
    ['100 INVITE', '200 CANCEL', '487 INVITE'],
  );
  t.is(slow.transport.requestsTo('198.51.100.1').length, 0);
});

test('Timer B: a PBX that never answers an INVITE gives the caller a 408 after 64*T1', async (t) => {
  const s = setup({ pbx: { targets: [PBX1], failoverAfterMs: 2000, quarantineMs: 0 } });
  await pbxCall(s);
  s.clock.advance(31_999);
  t.deepEqual(s.transport.statusesTo(DEVICE.address), [100]);
  s.clock.advance(1);
  t.deepEqual(s.transport.statusesTo(DEVICE.address), [100, 408]);
  t.is(s.transport.requestsTo(PBX1.address, 'INVITE').length, 7, 'sent, then Timer A retransmissions');
});

test('Timer F: a non-INVITE never answered gives 408 after 64*T1', async (t) => {
  const s = setup({ pbx: { targets: [PBX1], failoverAfterMs: 2000, quarantineMs: 0 } });
  await s.deliver(requestText('MESSAGE', `sip:200@${DOMAIN}`));
  s.clock.advance(32_000);
  t.deepEqual(s.transport.statusesTo(DEVICE.address), [408]);
});

test('Timer C: a branch ringing for too long is CANCELled (RFC 3261 16.6 step 11)', async (t) => {
  const s = setup({ timerCMs: 180_000 });
  const invite = await pbxCall(s);
  await s.deliver(answer(invite, 180), fromPbx());
  s.clock.advance(179_000);
  await s.deliver(answer(invite, 180), fromPbx());
  s.clock.advance(179_000);
  t.is(s.transport.requestsTo(PBX1.address, 'CANCEL').length, 0, 'each provisional restarts Timer C');
  s.clock.advance(1_000);
  t.is(s.transport.requestsTo(PBX1.address, 'CANCEL').length, 1);
});

test('PBX failover on 503: the next PBX gets the INVITE; the failed one is tried last for a while', async (t) => {
  const s = setup();
  const first = await pbxCall(s);
  await s.deliver(answer(first, 503), fromPbx());
  const [second] = s.transport.requestsTo(PBX2.address, 'INVITE');
  t.truthy(second);
  t.is(second!.uriText, first.uriText);
  await s.deliver(answer(second!, 200), fromPbx(PBX2));
  t.deepEqual(s.transport.statusesTo(DEVICE.address), [100, 200]);
  await s.deliver(requestText('INVITE', `sip:201@${DOMAIN}`, { callId: 'next-call' }));
  t.is(s.transport.requestsTo(PBX2.address, 'INVITE').length, 2, 'the quarantined PBX is skipped');
  t.is(s.transport.requestsTo(PBX1.address, 'INVITE').length, 1);
});

test('PBX failover on silence: no answer within failoverAfterMs moves on; a late provisional is CANCELled', async (t) => {
  const s = setup();
  const first = await pbxCall(s);
  s.clock.advance(1_999);
  t.is(s.transport.requestsTo(PBX2.address, 'INVITE').length, 0);
  s.clock.advance(1);
  t.is(s.transport.requestsTo(PBX2.address, 'INVITE').length, 1);
  await s.deliver(answer(first, 180), fromPbx());
  t.is(s.transport.requestsTo(PBX1.address, 'CANCEL').length, 1);
  t.deepEqual(s.transport.statusesTo(DEVICE.address), [100], 'the given-up branch is not heard');
});

test('PBX failover on a transport error; every PBX failing ends in 500, never a 503 from us', async (t) => {
  const s = setup();
  s.transport.unreachable.add(PBX1.address);
  const second = await (async () => {
    await s.deliver(requestText('INVITE', `sip:200@${DOMAIN}`));
    return s.transport.requestsTo(PBX2.address, 'INVITE')[0];
  })();
  t.truthy(second);
  await s.deliver(answer(second!, 503), fromPbx(PBX2));
  t.deepEqual(s.transport.statusesTo(DEVICE.address), [100, 500]);
});

test('a final non-2xx from the PBX that is not an outage (486) is the answer: no failover', async (t) => {
  const s = setup();
  const invite = await pbxCall(s);
  await s.deliver(answer(invite, 486), fromPbx());
  t.is(s.transport.requestsTo(PBX2.address).length, 0);
  t.deepEqual(s.transport.statusesTo(DEVICE.address), [100, 486]);
});
