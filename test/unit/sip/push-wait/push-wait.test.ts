import test from 'ava';
import type { PushJob } from '../../../../src/push/job.js';
import { DEFAULT_PROXY_SETTINGS, ProxyCore } from '../../../../src/sip/proxy/index.js';
import type { WakeContact, WakeSources } from '../../../../src/sip/proxy/pending-fork.js';
import { DEFAULT_PUSH_WAIT, type PushWaitSettings } from '../../../../src/sip/proxy/push-wait-config.js';
import { PushWaits } from '../../../../src/sip/proxy/push-wait.js';
import { TransactionLayer } from '../../../../src/sip/transaction/index.js';
import { parseDatagram, SipRequest } from '../../../../src/sip/message/index.js';
import { applyReceived, type MessageSource } from '../../../../src/sip/transport/index.js';
import {
  answer,
  contact,
  DOMAIN,
  FakeContacts,
  FakeTransport,
  fromPbx,
  PBX1,
  PROXY,
  PROXY_TCP,
  requestText,
  settle,
} from '../proxy/harness.js';
import { FakeClock, silentLog } from '../transaction/harness.js';

/*
 * The push wait on the real proxy core and transaction layer, with a fake transport, registrar, AOR channel and
 * clock: what goes out, what the caller hears, and that nothing stays pending.
 */

const AOR = `bob@${DOMAIN}`;
const FIELD = '"<urn:uuid:00000000-0000-4000-8000-0000000000b0>"';
const PUSH = 'pn-provider=fcm;pn-prid=c0000000001:APA91bTOKEN;pn-param=917288118967';

function device(address: string, connectionId: string, cseq: number): WakeContact {
  const flow: MessageSource = {
    transport: 'tcp',
    address,
    port: 40000,
    connectionId,
    local: { address: PROXY_TCP.address, port: PROXY_TCP.port },
  };
  return {
    ...contact(`sip:bob@${address}:40000;transport=tcp;${PUSH}`, { connectionId, flow, instance: FIELD }),
    field: FIELD,
    callId: 'reg-1',
    cseq,
  };
}

function setup(overrides: Partial<PushWaitSettings> = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport([PROXY, PROXY_TCP]);
  const layer = new TransactionLayer({ sender: transport, clock, log: silentLog });
  const contacts = new FakeContacts();
  const listeners = new Set<(field: string) => void>();
  const jobs: PushJob[] = [];
  const sources: WakeSources = {
    lookup: async (aor) => (await contacts.lookup(aor)) as readonly WakeContact[],
    onRegistered: (_aor, listener) => {
      listeners.add(listener);
      return { ready: Promise.resolve(), close: () => listeners.delete(listener) };
    },
  };
  const settings = { ...DEFAULT_PUSH_WAIT, ...overrides };
  const waits = new PushWaits(settings, sources, async (job) => void jobs.push(job), clock, silentLog);
  new ProxyCore({
    transport,
    layer,
    settings: {
      ...DEFAULT_PROXY_SETTINGS,
      domains: [DOMAIN],
      pbx: { targets: [PBX1], failoverAfterMs: 2000, quarantineMs: 30_000 },
    },
    contacts,
    push: waits,
    log: silentLog,
  });
  const deliver = async (text: string) => {
    const request = parseDatagram(Buffer.from(text));
    if (request instanceof SipRequest) applyReceived(request, fromPbx());
    layer.receive(request, fromPbx());
    await settle();
  };
  /** The device registered anew: the binding changes, and the AOR channel says so. */
  const wake = async (woken: WakeContact) => {
    contacts.byAor.set(AOR, [woken]);
    transport.connections.add(woken.connectionId!);
    for (const listener of [...listeners]) listener(FIELD);
    await settle();
  };
  return { clock, transport, layer, contacts, waits, jobs, listeners, deliver, wake, settings };
}

test('a sleeping device: one push job for the call, 110 once; its new registration gets the INVITE; 200 goes up', async (t) => {
  const s = setup();
  s.contacts.byAor.set(AOR, [device('198.51.100.1', 'gone', 1)]);
  await s.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-1' }));
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 110]);
  t.is(s.jobs.length, 1);
  const job = s.jobs[0]!;
  t.is(job.kind, 'call');
  t.is(job.aor, AOR);
  t.is(job.instance, FIELD);
  t.is(job.call.callId, 'c-1');
  t.is(job.deadline - job.queuedAt, s.settings.callTimeoutMs);
  t.deepEqual(job.target, { provider: 'fcm', project: '917288118967', token: 'c0000000001:APA91bTOKEN' });
  t.is(s.waits.size, 1);

  await s.wake(device('198.51.100.2', 'c2', 2));
  // The same registration published again (a refresh of another binding, our own PUBLISH): no second INVITE.
  for (const listener of [...s.listeners]) listener(FIELD);
  await settle();
  const invites = s.transport.requestsTo('198.51.100.2', 'INVITE');
  t.is(invites.length, 1);
  t.is(invites[0]!.uriText, 'sip:bob@198.51.100.2:40000;transport=tcp', 'push parameters are not sent');
  s.layer.receive(answer(invites[0]!, 180), { ...fromPbx(), address: '198.51.100.2' });
  s.layer.receive(answer(invites[0]!, 200), { ...fromPbx(), address: '198.51.100.2' });
  await settle();
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 110, 180, 200]);
  t.is(s.waits.size, 0);
  t.is(s.listeners.size, 0, 'unsubscribed');
  t.is(s.waits.counters.answered, 1);
});

test('a live flow whose send fails is not final: the device is pushed and its next registration gets the call', async (t) => {
  const s = setup();
  const live = device('198.51.100.1', 'c1', 1);
  s.transport.connections.add('c1');
  s.transport.unreachable.add('198.51.100.1');
  s.contacts.byAor.set(AOR, [live]);
  await s.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-2' }));
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 110], 'no 503 or 500 upstream');
  t.is(s.jobs.length, 1, 'pushed after the failure');
  await s.wake(device('198.51.100.2', 'c2', 2));
  const [invite] = s.transport.requestsTo('198.51.100.2', 'INVITE');
  t.truthy(invite);
  s.layer.receive(answer(invite!, 486), { ...fromPbx(), address: '198.51.100.2' });
  await settle();
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 110, 486], "the device's own answer is final");
  t.is(s.waits.size, 0);
});

test('nobody wakes: 480 at the call timeout, a missed-call push, nothing pending', async (t) => {
  const s = setup({ callTimeoutMs: 5000 });
  s.contacts.byAor.set(AOR, [device('198.51.100.1', 'gone', 1)]);
  await s.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-3' }));
  s.clock.advance(4999);
  await settle();
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 110]);
  s.clock.advance(1);
  await settle();
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 110, 480]);
  t.is(s.waits.size, 0);
  t.is(s.waits.counters.timedOut, 1);
  t.is(s.listeners.size, 0);
  // The app woken for the call shows a missed call.
  t.deepEqual(
    s.jobs.map((job) => `${job.kind} ${job.call.callId}`),
    ['call c-3', 'cancel c-3'],
  );
  // A wake-up after the end reaches nobody.
  await s.wake(device('198.51.100.2', 'c2', 2));
  t.is(s.transport.requestsTo('198.51.100.2', 'INVITE').length, 0);
});

test('CANCEL during the wait: 200 for the CANCEL, 487 for the INVITE, unsubscribed', async (t) => {
  const s = setup();
  s.contacts.byAor.set(AOR, [device('198.51.100.1', 'gone', 1)]);
  await s.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-4', branch: 'z9hG4bKc4' }));
  await s.deliver(requestText('CANCEL', `sip:${AOR}`, { callId: 'c-4', branch: 'z9hG4bKc4' }));
  const statuses = s.transport.responsesTo(PBX1.address).map((r) => `${r.status} ${r.cseq().method}`);
  t.deepEqual(statuses, ['100 INVITE', '110 INVITE', '200 CANCEL', '487 INVITE']);
  t.is(s.waits.size, 0);
  t.is(s.waits.counters.cancelled, 1);
  t.is(s.listeners.size, 0);
  // The device was pushed and never reached: its app is told the call is gone, with the call's Call-ID.
  t.deepEqual(
    s.jobs.map((job) => job.kind),
    ['call', 'cancel'],
  );
  const cancel = s.jobs[1]!;
  t.is(cancel.call.callId, 'c-4');
  t.is(cancel.call.locKey, 'Missing call');
  t.deepEqual(cancel.target, s.jobs[0]!.target);
});

test('the cancel push: the text of pn-missing-call-str; none for a VoIP-only iOS app; none for a device reached', async (t) => {
  const withText = setup();
  const text = { ...device('198.51.100.1', 'gone', 1) };
  withText.contacts.byAor.set(AOR, [
    { ...text, uri: contact(`${text.uri.toString()};pn-missing-call-str=Llamada%20perdida`).uri },
  ]);
  await withText.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-5', branch: 'z9hG4bKc5' }));
  await withText.deliver(requestText('CANCEL', `sip:${AOR}`, { callId: 'c-5', branch: 'z9hG4bKc5' }));
  t.is(withText.jobs[1]?.call.locKey, 'Llamada perdida');

  const voipOnly = setup();
  voipOnly.contacts.byAor.set(AOR, [
    contact(
      'sip:bob@198.51.100.1:40000;transport=tcp;pn-provider=apns;pn-prid=00fc13adff78:voip;pn-param=ABCD1234.org.linphone.phone.voip',
      { connectionId: 'gone', instance: FIELD },
    ),
  ]);
  await voipOnly.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-6', branch: 'z9hG4bKc6' }));
  await voipOnly.deliver(requestText('CANCEL', `sip:${AOR}`, { callId: 'c-6', branch: 'z9hG4bKc6' }));
  t.deepEqual(
    voipOnly.jobs.map((job) => `${job.kind} ${job.target.provider === 'apns' ? job.target.service : ''}`),
    ['call voip'],
    'a VoIP push cannot announce a cancelled call',
  );

  const reached = setup();
  reached.contacts.byAor.set(AOR, [device('198.51.100.1', 'gone', 1)]);
  await reached.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-7', branch: 'z9hG4bKc7' }));
  await reached.wake(device('198.51.100.2', 'c2', 2));
  const invites = reached.transport.requestsTo('198.51.100.2', 'INVITE');
  t.is(invites.length, 1);
  reached.layer.receive(answer(invites[0]!, 180), { ...fromPbx(), address: '198.51.100.2' });
  await settle();
  await reached.deliver(requestText('CANCEL', `sip:${AOR}`, { callId: 'c-7', branch: 'z9hG4bKc7' }));
  t.is(reached.transport.requestsTo('198.51.100.2', 'CANCEL').length, 1, 'the woken device gets the CANCEL');
  t.deepEqual(
    reached.jobs.map((job) => job.kind),
    ['call'],
  );
});

test('an alert-style push (APNs remote token): a fake 180 once, under the 110s To tag, while nothing rings', async (t) => {
  const remoteOnly = (s: ReturnType<typeof setup>) =>
    s.contacts.byAor.set(AOR, [
      contact(
        'sip:bob@198.51.100.1:40000;transport=tcp;pn-provider=apns;pn-prid=00fc13adff78:remote;pn-param=ABCD1234.org.linphone.phone.remote',
        { connectionId: 'gone', instance: FIELD },
      ),
    ]);
  const s = setup();
  remoteOnly(s);
  await s.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-20' }));
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 110, 180], 'the caller hears ringback');
  const [, pushSent, ringing] = s.transport.responsesTo(PBX1.address);
  t.truthy(pushSent!.to().tag);
  t.is(ringing!.to().tag, pushSent!.to().tag, 'one early dialog of ours, not two');
  t.deepEqual(
    s.jobs.map((job) => (job.target.provider === 'apns' ? job.target.service : job.target.provider)),
    ['remote'],
  );
  // The woken device rings and answers: its own answers go up as they are.
  await s.wake({ ...device('198.51.100.2', 'c2', 2), uri: contact('sip:bob@198.51.100.2:40000;transport=tcp').uri });
  const invite = s.transport.requestsTo('198.51.100.2', 'INVITE')[0]!;
  s.layer.receive(answer(invite, 180), { ...fromPbx(), address: '198.51.100.2' });
  s.layer.receive(answer(invite, 200), { ...fromPbx(), address: '198.51.100.2' });
  await settle();
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 110, 180, 180, 200]);

  const off = setup({ fakeRinging: false });
  remoteOnly(off);
  await off.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-21' }));
  t.deepEqual(off.transport.statusesTo(PBX1.address), [100, 110], 'fakeRinging: false');

  const voip = setup();
  voip.contacts.byAor.set(AOR, [
    contact(
      'sip:bob@198.51.100.1:40000;transport=tcp;pn-provider=apns;pn-prid=aa:voip%26bb:remote;pn-param=ABCD1234.org.linphone.phone.voip%26remote',
      { connectionId: 'gone', instance: FIELD },
    ),
  ]);
  await voip.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-22' }));
  t.deepEqual(voip.transport.statusesTo(PBX1.address), [100, 110], 'a VoIP push rings the phone itself: no fake 180');
  t.deepEqual(
    voip.jobs.map((job) => (job.target.provider === 'apns' ? job.target.service : job.target.provider)),
    ['voip'],
  );
});

test('beyond maxPending, a new request gets 503 with Retry-After', async (t) => {
  const s = setup({ maxPending: 1, retryAfterS: 10 });
  s.contacts.byAor.set(AOR, [device('198.51.100.1', 'gone', 1)]);
  await s.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-5' }));
  await s.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-6' }));
  const refused = s.transport.responsesTo(PBX1.address).find((r) => r.callId() === 'c-6' && r.status === 503);
  t.truthy(refused);
  const retryAfter = Number(refused!.headers.get('retry-after'));
  t.true(retryAfter >= 10 && retryAfter <= 15);
  t.is(s.waits.counters.overloaded, 1);
  t.is(s.waits.size, 1);
});

test('a MESSAGE waits with its own lifetime and no provisional; a device without push parameters gets 480 at once', async (t) => {
  const s = setup({ messageTimeoutMs: 1000, callTimeoutMs: 90_000 });
  s.contacts.byAor.set(AOR, [device('198.51.100.1', 'gone', 1)]);
  await s.deliver(requestText('MESSAGE', `sip:${AOR}`, { callId: 'm-1' }));
  t.is(s.jobs[0]!.kind, 'message');
  t.is(s.jobs[0]!.call.locKey, 'IM_MSG');
  s.clock.advance(1000);
  await settle();
  t.deepEqual(s.transport.statusesTo(PBX1.address), [480]);

  s.contacts.byAor.set(AOR, [contact('sip:bob@198.51.100.1:40000;transport=tcp', { connectionId: 'gone' })]);
  await s.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-7' }));
  t.deepEqual(
    s.transport
      .responsesTo(PBX1.address)
      .filter((r) => r.callId() === 'c-7')
      .map((r) => r.status),
    [100, 480],
  );
  t.is(s.jobs.length, 1);
});

test('the timeout passing while the woken device rings does not end the call: its answer does', async (t) => {
  const s = setup({ callTimeoutMs: 5000 });
  s.contacts.byAor.set(AOR, [device('198.51.100.1', 'gone', 1)]);
  await s.deliver(requestText('INVITE', `sip:${AOR}`, { callId: 'c-8' }));
  await s.wake(device('198.51.100.2', 'c2', 2));
  const [invite] = s.transport.requestsTo('198.51.100.2', 'INVITE');
  s.layer.receive(answer(invite!, 180), { ...fromPbx(), address: '198.51.100.2' });
  await settle();
  s.clock.advance(5000);
  await settle();
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 110, 180]);
  t.is(s.listeners.size, 0, 'no longer listening for registrations');
  s.layer.receive(answer(invite!, 200), { ...fromPbx(), address: '198.51.100.2' });
  await settle();
  t.deepEqual(s.transport.statusesTo(PBX1.address), [100, 110, 180, 200]);
  t.is(s.waits.size, 0);
});
