import test from 'ava';
import { createResponse, type SipRequest } from '../../../../src/sip/message/index.js';
import {
  InviteServerTransaction,
  TransactionLayer,
  type ServerTransaction,
} from '../../../../src/sip/transaction/index.js';
import type { MessageSource } from '../../../../src/sip/transport/index.js';
import { FakeClock, RecordingSender, request, settle, silentLog, tcpSource, udpSource } from './harness.js';

function setup() {
  const clock = new FakeClock();
  const sender = new RecordingSender(clock);
  const layer = new TransactionLayer({ sender, clock, log: silentLog });
  const delivered: { request: SipRequest; transaction: ServerTransaction | undefined }[] = [];
  layer.setUser({
    request: (req, _source, transaction) => delivered.push({ request: req, transaction }),
    strayResponse: () => undefined,
  });
  const deliver = (req: SipRequest, source: MessageSource = udpSource()) => {
    layer.receive(req, source);
    return delivered.at(-1)?.transaction;
  };
  return { clock, sender, layer, delivered, deliver };
}

test('a retransmitted INVITE never reaches the proxy core twice; it gets the last provisional again', (t) => {
  const { sender, layer, delivered, deliver } = setup();
  const invite = request('INVITE');
  const tx = deliver(invite)!;
  layer.receive(request('INVITE'), udpSource());
  t.is(sender.sent.length, 0, 'nothing to re-send before a provisional');
  tx.respond(createResponse(invite, 100));
  tx.respond(createResponse(invite, 180, undefined, { toTag: 'x' }));
  layer.receive(request('INVITE'), udpSource());
  layer.receive(request('INVITE'), udpSource());
  t.is(delivered.length, 1);
  t.deepEqual(
    sender.responses().map((r) => r.status),
    [100, 180, 180, 180],
  );
  t.is(layer.counters.retransmissionsAbsorbed, 3);
});

test('INVITE answered 486 over UDP: Timer G re-sends (T1 doubling to T2) until Timer H, which reports no ACK', (t) => {
  const { clock, sender, layer, deliver } = setup();
  const invite = request('INVITE');
  const tx = deliver(invite)!;
  let noAck = 0;
  tx.events = { noAck: () => noAck++ };
  tx.respond(createResponse(invite, 486));
  clock.advance(40_000);
  t.deepEqual(sender.timesOf('SIP/2.0 486'), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  t.is(noAck, 1);
  t.is(layer.size.server, 0);
});

test('the ACK of a 486 is absorbed: retransmissions stop, the core never sees it, Timer I ends the transaction', (t) => {
  const { clock, sender, layer, delivered, deliver } = setup();
  const invite = request('INVITE');
  const tx = deliver(invite)! as InviteServerTransaction;
  tx.respond(createResponse(invite, 486, undefined, { toTag: 'x' }));
  clock.advance(600);
  layer.receive(request('ACK', { toTag: 'x' }), udpSource());
  layer.receive(request('ACK', { toTag: 'x' }), udpSource());
  clock.advance(4_000);
  t.is(tx.state, 'confirmed');
  t.is(delivered.length, 1);
  t.is(layer.counters.acksAbsorbed, 2);
  t.deepEqual(sender.timesOf('SIP/2.0 486'), [0, 500]);
  clock.advance(1_000);
  t.is(tx.state, 'terminated');
});

test('INVITE over TCP: a final response is never re-sent', (t) => {
  const { clock, sender, deliver } = setup();
  const invite = request('INVITE', { via: 'Via: SIP/2.0/TCP 192.0.2.1:5080;branch=z9hG4bKtcp' });
  const tx = deliver(invite, tcpSource())!;
  tx.respond(createResponse(invite, 603));
  clock.advance(40_000);
  t.is(sender.responses(603).length, 1);
  t.is(sender.sent[0]!.destination.connectionId, 'c0ffee', 'answered on the connection the request came on');
});

test('2xx: Accepted absorbs retransmitted INVITEs silently, sends every further 2xx, ends after Timer L', (t) => {
  const { clock, sender, layer, delivered, deliver } = setup();
  const invite = request('INVITE');
  const tx = deliver(invite)!;
  t.true(tx.respond(createResponse(invite, 200, undefined, { toTag: 'one' })));
  layer.receive(request('INVITE'), udpSource());
  t.true(tx.respond(createResponse(invite, 200, undefined, { toTag: 'two' })));
  t.false(tx.respond(createResponse(invite, 486)), 'no non-2xx after a 2xx');
  t.deepEqual(
    sender.responses().map((r) => `${r.status} ${r.to().tag}`),
    ['200 one', '200 two'],
  );
  t.is(delivered.length, 1);
  clock.advance(32_000);
  t.is(layer.size.server, 0);
});

test('an ACK that matches no transaction in Completed goes to the core without a transaction (ACK of a 2xx)', (t) => {
  const { delivered, deliver } = setup();
  const tx = deliver(request('INVITE'))!;
  tx.respond(createResponse(tx.request, 200, undefined, { toTag: 'one' }));
  deliver(request('ACK', { branch: 'z9hG4bKack2xx', toTag: 'one' }));
  t.is(delivered.length, 2);
  t.is(delivered[1]!.request.method, 'ACK');
  t.is(delivered[1]!.transaction, undefined);
});

test('non-INVITE: silent while trying, then the last response for each retransmission, gone after Timer J', (t) => {
  const { clock, sender, layer, delivered, deliver } = setup();
  const bye = request('BYE', { toTag: 'x' });
  const tx = deliver(bye)!;
  layer.receive(request('BYE', { toTag: 'x' }), udpSource());
  t.is(sender.sent.length, 0);
  tx.respond(createResponse(bye, 200));
  layer.receive(request('BYE', { toTag: 'x' }), udpSource());
  t.is(sender.responses(200).length, 2);
  t.is(delivered.length, 1);
  clock.advance(32_000);
  t.is(layer.size.server, 0);
});

test('matching (RFC 3261 17.2.3): branch, sent-by and method; CANCEL has its own transaction and finds its INVITE', (t) => {
  const { layer, delivered, deliver } = setup();
  const invite = deliver(request('INVITE'));
  deliver(request('INVITE', { via: 'Via: SIP/2.0/UDP 192.0.2.2:5080;branch=z9hG4bKtest1' }));
  t.is(delivered.length, 2, 'same branch from another sent-by is another transaction');
  const cancel = request('CANCEL');
  deliver(cancel);
  t.is(delivered.length, 3);
  t.not(delivered[2]!.transaction, invite);
  t.true(layer.inviteFor(cancel) === invite);
  t.is(layer.inviteFor(request('CANCEL', { branch: 'z9hG4bKother' })), undefined);
});

test('RFC 2543 requests (no magic cookie) are matched on Request-URI, From tag, Call-ID, CSeq and top Via', (t) => {
  const { layer, delivered, deliver } = setup();
  const old = 'Via: SIP/2.0/UDP 192.0.2.9:5060;branch=1234';
  const tx = deliver(request('INVITE', { via: old })) as InviteServerTransaction;
  deliver(request('INVITE', { via: old }));
  t.is(delivered.length, 1);
  tx.respond(createResponse(tx.request, 480, undefined, { toTag: 'x' }));
  deliver(request('ACK', { via: old, toTag: 'x' }));
  t.is(tx.state, 'confirmed');
  deliver(request('INVITE', { via: old, cseq: 2 }));
  t.is(delivered.length, 2, 'a new CSeq is a new transaction');
  t.is(layer.counters.acksAbsorbed, 1);
});

test('a response that cannot be sent ends the server transaction and is reported to the core', async (t) => {
  const { sender, layer, deliver } = setup();
  const tx = deliver(request('INVITE'))!;
  let errors = 0;
  tx.events = { transportError: () => errors++ };
  sender.failWith = new Error('gone');
  tx.respond(createResponse(tx.request, 180, undefined, { toTag: 'x' }));
  await settle();
  t.is(errors, 1);
  t.is(tx.state, 'terminated');
  t.is(layer.size.server, 0);
});
