import test from 'ava';
import { SipRequest, type SipResponse } from '../../../../src/sip/message/index.js';
import {
  InviteClientTransaction,
  TransactionLayer,
  type ClientTransactionEvents,
} from '../../../../src/sip/transaction/index.js';
import type { Destination } from '../../../../src/sip/transport/index.js';
import {
  FakeClock,
  RecordingSender,
  TCP_PEER,
  UDP_PEER,
  request,
  responseTo,
  settle,
  silentLog,
  udpSource,
} from './harness.js';

function setup(t1Ms = 500) {
  const clock = new FakeClock();
  const sender = new RecordingSender(clock);
  const layer = new TransactionLayer({
    sender,
    clock,
    log: silentLog,
    timers: { t1Ms, t2Ms: 8 * t1Ms, t4Ms: 10 * t1Ms },
  });
  const seen = { responses: [] as SipResponse[], timeouts: 0, transportErrors: 0 };
  const events: ClientTransactionEvents = {
    response: (response) => seen.responses.push(response),
    timeout: () => seen.timeouts++,
    transportError: () => seen.transportErrors++,
  };
  const start = (method: string, destination: Destination = UDP_PEER) =>
    layer.sendRequest(request(method, { branch: `z9hG4bKclient${method}` }), destination, events);
  // The request a transaction sent (it releases its own copy once settled).
  const sent = (method: string) => request(method, { branch: `z9hG4bKclient${method}` });
  return { clock, sender, layer, seen, start, sent };
}

test('INVITE over UDP: Timer A retransmits at T1 doubling (no T2 cap), Timer B gives one timeout at 64*T1', (t) => {
  const { clock, sender, layer, seen, start } = setup();
  start('INVITE');
  clock.advance(40_000);
  t.deepEqual(sender.timesOf('INVITE'), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  t.is(seen.timeouts, 1);
  t.is(layer.size.client, 0);
});

test('INVITE over TCP: sent once, never retransmitted; Timer B still applies', (t) => {
  const { clock, sender, seen, start } = setup();
  start('INVITE', TCP_PEER);
  clock.advance(31_999);
  t.is(seen.timeouts, 0);
  clock.advance(1);
  t.deepEqual(sender.timesOf('INVITE'), [0]);
  t.is(seen.timeouts, 1);
});

test('a provisional stops retransmissions and Timer B; the proxy waits (Timer C is its own business)', (t) => {
  const { clock, sender, seen, start } = setup();
  const tx = start('INVITE');
  clock.advance(600);
  tx.received(responseTo(tx.request, 180));
  clock.advance(120_000);
  t.deepEqual(sender.timesOf('INVITE'), [0, 500]);
  t.is(seen.timeouts, 0);
  t.is(tx.state, 'proceeding');
  t.deepEqual(
    seen.responses.map((r) => r.status),
    [180],
  );
});

test('a 486 is ACKed hop by hop (To tag of the response, same branch), its retransmissions re-ACKed, not passed on', async (t) => {
  const { clock, sender, layer, seen, start, sent } = setup();
  start('INVITE');
  const invite = sent('INVITE');
  const busy = responseTo(invite, 486, 'callee-tag');
  layer.receive(busy, udpSource());
  layer.receive(busy, udpSource());
  t.deepEqual(
    seen.responses.map((r) => r.status),
    [486],
  );
  const acks = sender.requests('ACK');
  t.is(acks.length, 2);
  const ack = acks[0]!;
  t.is(ack.uriText, invite.uriText);
  t.is(ack.to().tag, 'callee-tag');
  t.is(ack.topVia().branch, invite.topVia().branch);
  t.deepEqual(ack.cseq(), { seq: invite.cseq().seq, method: 'ACK' });
  t.is(ack.vias().length, 1);
  t.is(layer.size.client, 1);
  clock.advance(32_000);
  await settle();
  t.is(layer.size.client, 0);
});

test('2xx: Accepted (RFC 6026) passes every 2xx on, also from a second dialog, until Timer M', (t) => {
  const { clock, layer, seen, start, sent } = setup();
  const tx = start('INVITE');
  const invite = sent('INVITE');
  layer.receive(responseTo(invite, 200, 'one'), udpSource());
  layer.receive(responseTo(invite, 200, 'two'), udpSource());
  layer.receive(responseTo(invite, 200, 'one'), udpSource());
  t.deepEqual(
    seen.responses.map((r) => r.to().tag),
    ['one', 'two', 'one'],
  );
  t.is(tx.state, 'accepted');
  clock.advance(32_000);
  t.is(layer.size.client, 0);
  layer.receive(responseTo(invite, 200, 'late'), udpSource());
  t.is(seen.responses.length, 3, 'after Timer M a 2xx is stray: the proxy core gets it as such');
  t.is(layer.counters.strayResponses, 1);
});

test('cancel() waits for a provisional (RFC 3261 9.1), then sends a CANCEL on the same branch and destination', (t) => {
  const { sender, start } = setup();
  const tx = start('INVITE') as InviteClientTransaction;
  tx.cancel();
  t.is(sender.requests('CANCEL').length, 0);
  tx.received(responseTo(tx.request, 100));
  const [cancel] = sender.requests('CANCEL');
  t.truthy(cancel);
  t.is(cancel!.topVia().branch, tx.request.topVia().branch);
  t.is(cancel!.uriText, tx.request.uriText);
  t.deepEqual(cancel!.cseq(), { seq: 1, method: 'CANCEL' });
  t.is(cancel!.to().tag, undefined);
  t.deepEqual(sender.sent.at(-1)!.destination, UDP_PEER);
  tx.received(responseTo(tx.request, 180));
  t.is(sender.requests('CANCEL').length, 1, 'one CANCEL only');
});

test('non-INVITE over UDP: Timer E doubles up to T2, Timer F gives a timeout at 64*T1', (t) => {
  const { clock, sender, seen, start } = setup();
  start('OPTIONS');
  clock.advance(40_000);
  t.deepEqual(sender.timesOf('OPTIONS'), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  t.is(seen.timeouts, 1);
});

test('non-INVITE: a final response completes it; retransmissions of it are absorbed during Timer K', (t) => {
  const { clock, layer, seen, start, sent } = setup();
  const tx = start('BYE');
  layer.receive(responseTo(sent('BYE'), 200), udpSource());
  layer.receive(responseTo(sent('BYE'), 200), udpSource());
  t.is(seen.responses.length, 1);
  t.is(tx.state, 'completed');
  clock.advance(5_000);
  t.is(tx.state, 'terminated');
  t.is(seen.timeouts, 0);
});

test('a transport error on the first send is reported once, as such, and ends the transaction', async (t) => {
  const { clock, sender, layer, seen, start } = setup();
  sender.failWith = new Error('connection refused');
  start('INVITE', TCP_PEER);
  start('OPTIONS');
  await settle();
  t.is(seen.transportErrors, 2);
  t.is(layer.size.client, 0);
  clock.advance(40_000);
  t.is(seen.timeouts, 0);
});

test('a request without a branch cannot start a client transaction', (t) => {
  const { layer } = setup();
  const bare = request('OPTIONS', { via: 'Via: SIP/2.0/UDP 192.0.2.1:5080' });
  t.throws(
    () => layer.sendRequest(bare as SipRequest, UDP_PEER, { response() {}, timeout() {}, transportError() {} }),
    {
      instanceOf: TypeError,
    },
  );
});
