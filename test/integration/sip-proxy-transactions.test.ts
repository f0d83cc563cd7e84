import test from 'ava';
import { SipRequest, type SipResponse } from '../../src/sip/message/index.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { UdpUa, isRequest, uaRequest, uaResponse } from '../fixtures/sip/ua.js';

// The transaction cases of the stateful proxy through a running stg-sip-proxy, with small UDP user agents as the
// device (127.0.0.1) and as two PBXs (127.0.0.2). T1 is 20 ms here, so Timer B and F fire after 1.28 s.

const DOMAIN = 'sips.example.test';
let proxy: ProxyProcess;
let device: UdpUa;
let pbx1: UdpUa;
let pbx2: UdpUa;
let silent: UdpUa;
let at: { address: string; port: number };

test.before(async () => {
  pbx1 = await UdpUa.open('127.0.0.2');
  pbx2 = await UdpUa.open('127.0.0.2');
  silent = await UdpUa.open('127.0.0.1');
  proxy = await ProxyProcess.start({
    listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }],
    limits: { exemptSources: ['127.0.0.1', '127.0.0.2'] },
    proxy: {
      domains: [DOMAIN],
      pbx: {
        targets: [
          { transport: 'udp', address: '127.0.0.2', port: pbx1.port },
          { transport: 'udp', address: '127.0.0.2', port: pbx2.port },
        ],
        failoverAfterMs: 300,
        quarantineMs: 0,
      },
      timers: { t1Ms: 20, t2Ms: 160, t4Ms: 200 },
    },
  });
  at = proxy.listener('udp');
});

test.beforeEach(async () => {
  device = await UdpUa.open('127.0.0.1');
});

test.afterEach.always(() => device?.close());

test.after.always(async () => {
  await proxy?.stop();
  for (const ua of [pbx1, pbx2, silent]) ua?.close();
});

const call = (user: string) => `sip:${user}@${DOMAIN}`;

test.serial('a retransmitted INVITE is forwarded once: the caller gets the last provisional again', async (t) => {
  const invite = uaRequest('INVITE', call('200'), device, { branch: 'z9hG4bKretrans1', callId: 'retrans-1' });
  await device.send(invite, at);
  await device.response(100, 'INVITE');
  const { request, from } = await pbx1.request('INVITE', 'retrans-1');
  await pbx1.send(uaResponse(request, 180, 'Ringing', 'r1'), from);
  await device.response(180, 'INVITE');
  await device.send(invite, at);
  await device.response(180, 'INVITE');
  await pbx1.send(uaResponse(request, 486, 'Busy Here', 'r1'), from);
  await device.response(486, 'INVITE');
  t.is(
    pbx1.count((m) => m instanceof SipRequest && m.method === 'INVITE' && m.callId() === 'retrans-1'),
    1,
  );
});

test.serial('Max-Forwards 0 is answered 483 Too Many Hops', async (t) => {
  await device.send(uaRequest('INVITE', call('200'), device, { maxForwards: 0 }), at);
  const response = await device.response(483, 'INVITE');
  t.is(response.status, 483);
});

test.serial(
  'a request routed back to the proxy (a Route naming it by a name it does not know) is a loop: 482',
  async (t) => {
    await device.send(
      uaRequest('MESSAGE', call('200'), device, { extra: [`Route: <sip:localhost:${at.port};lr>`] }),
      at,
    );
    const response = await device.response(482, 'MESSAGE');
    t.is(response.status, 482);
  },
);

test.serial(
  'Record-Route is added with lr and used by in-dialog requests both ways; the 2xx ACK follows it',
  async (t) => {
    await device.send(uaRequest('INVITE', call('201'), device, { callId: 'dialog-1' }), at);
    const { request: invite, from } = await pbx1.request('INVITE', 'dialog-1');
    const [recordRoute] = invite.recordRoutes();
    t.truthy(recordRoute);
    t.true((recordRoute!.uri as import('../../src/sip/message/index.js').SipUri).hasParam('lr'));
    await pbx1.send(uaResponse(invite, 200, 'OK', 'pbx-tag', [`Contact: <${pbx1.contact('200')}>`]), from);
    const ok = await device.response(200, 'INVITE');
    const routeSet = ok
      .recordRoutes()
      .map((rr) => rr.toString())
      .reverse();
    t.deepEqual(routeSet, [recordRoute!.toString()]);
    const inDialog = (method: string, cseq: number) =>
      uaRequest(method, pbx1.contact('200'), device, {
        callId: 'dialog-1',
        cseq,
        toTag: 'pbx-tag',
        extra: [`Route: ${routeSet.join(', ')}`],
      });
    await device.send(inDialog('ACK', 1), at);
    const { request: ack } = await pbx1.request('ACK', 'dialog-1');
    t.is(ack.topVia().port, at.port, 'the ACK came through the proxy');
    t.false(ack.headers.has('route'), 'our Route was consumed');
    await device.send(inDialog('BYE', 2), at);
    const { request: bye, from: byeFrom } = await pbx1.request('BYE', 'dialog-1');
    t.is(bye.vias().length, 2);
    await pbx1.send(uaResponse(bye, 200, 'OK'), byeFrom);
    await device.response(200, 'BYE');

    // The PBX sends an in-dialog request to the device: the route set is the Record-Route in order.
    const info = [
      `INFO ${device.contact('ua')} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.2:${pbx1.port};branch=z9hG4bKpbxinfo1`,
      'Max-Forwards: 70',
      `From: <${call('201')}>;tag=pbx-tag`,
      `To: <${device.contact('caller')}>;tag=ua${device.port}`,
      'Call-ID: dialog-1',
      'CSeq: 10 INFO',
      `Route: ${recordRoute!.toString()}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await pbx1.send(info, at);
    const { request: delivered } = await device.request('INFO', 'dialog-1');
    t.is(delivered.topVia().port, at.port);
  },
);

test.serial("a 486 is ACKed hop by hop by the proxy; the caller's ACK is absorbed, not forwarded", async (t) => {
  const branch = 'z9hG4bKbusy1';
  await device.send(uaRequest('INVITE', call('202'), device, { branch, callId: 'busy-1' }), at);
  const { request: invite, from } = await pbx1.request('INVITE', 'busy-1');
  await pbx1.send(uaResponse(invite, 486, 'Busy Here', 'busy'), from);
  const { request: ack } = await pbx1.request('ACK', 'busy-1');
  t.is(ack.topVia().branch, invite.topVia().branch, 'the ACK of our client transaction');
  t.is(ack.vias().length, 1);
  const busy = await device.response(486, 'INVITE');
  await device.send(
    uaRequest('ACK', call('202'), device, { branch, callId: 'busy-1', toTag: busy.to().tag ?? '' }),
    at,
  );
  // A marker sent after the ACK: once the PBX has it, the ACK was handled before it.
  await device.send(uaRequest('MESSAGE', call('202'), device, { callId: 'busy-marker' }), at);
  const { request: marker, from: markerFrom } = await pbx1.request('MESSAGE', 'busy-marker');
  await pbx1.send(uaResponse(marker, 200, 'OK'), markerFrom);
  t.is(
    pbx1.count((m) => isRequest('ACK')(m) && (m as SipRequest).callId() === 'busy-1'),
    1,
  );
});

test.serial('Timer B: an INVITE nobody answers gets 408 from the proxy; Timer F likewise for a MESSAGE', async (t) => {
  const route = `Route: <sip:127.0.0.1:${silent.port};lr>`;
  const started = Date.now();
  await device.send(uaRequest('INVITE', call('203'), device, { extra: [route] }), at);
  await device.response(100, 'INVITE');
  await device.response(408, 'INVITE', 5_000);
  t.true(Date.now() - started >= 64 * 20, 'not before 64*T1');
  await device.send(uaRequest('MESSAGE', call('203'), device, { extra: [route] }), at);
  await device.response(408, 'MESSAGE', 5_000);
  t.true(silent.count(isRequest('INVITE')) > 1, 'the INVITE was retransmitted (Timer A) meanwhile');
});

test.serial('PBX failover: the first PBX answers 503, the second gets the INVITE and its 200 goes up', async (t) => {
  await device.send(uaRequest('INVITE', call('204'), device, { callId: 'failover-503' }), at);
  const first = await pbx1.request('INVITE', 'failover-503');
  await pbx1.send(uaResponse(first.request, 503, 'Service Unavailable', 'down'), first.from);
  const second = await pbx2.request('INVITE', 'failover-503');
  await pbx2.send(uaResponse(second.request, 200, 'OK', 'up', [`Contact: <${pbx2.contact('204')}>`]), second.from);
  const ok = await device.response(200, 'INVITE');
  t.is(ok.to().tag, 'up');
});

test.serial('PBX failover: a first PBX that stays silent is given up after failoverAfterMs', async (t) => {
  await device.send(uaRequest('INVITE', call('205'), device, { callId: 'failover-silent' }), at);
  await pbx1.request('INVITE', 'failover-silent');
  const second = await pbx2.request('INVITE', 'failover-silent', 3_000);
  await pbx2.send(uaResponse(second.request, 486, 'Busy Here', 'busy'), second.from);
  const busy: SipResponse = await device.response(486, 'INVITE');
  t.is(busy.to().tag, 'busy');
});

test.serial(
  'CANCEL racing a 200: the caller gets 200 for its CANCEL and the 200 of the INVITE, ACKs and hangs up',
  async (t) => {
    const branch = 'z9hG4bKrace1';
    await device.send(uaRequest('INVITE', call('206'), device, { branch, callId: 'race-1' }), at);
    const { request: invite, from } = await pbx1.request('INVITE', 'race-1');
    await pbx1.send(uaResponse(invite, 180, 'Ringing', 'callee'), from);
    await device.response(180, 'INVITE');
    await device.send(uaRequest('CANCEL', call('206'), device, { branch, callId: 'race-1' }), at);
    await device.response(200, 'CANCEL');
    const { request: cancel, from: cancelFrom } = await pbx1.request('CANCEL', 'race-1');
    // The callee answered just before the CANCEL reached it.
    await pbx1.send(uaResponse(invite, 200, 'OK', 'callee', [`Contact: <${pbx1.contact('206')}>`]), from);
    await pbx1.send(uaResponse(cancel, 481, 'Call/Transaction Does Not Exist'), cancelFrom);
    const ok = await device.response(200, 'INVITE');
    const routes = ok
      .recordRoutes()
      .map((rr) => rr.toString())
      .reverse();
    const inDialog = (method: string, cseq: number) =>
      uaRequest(method, pbx1.contact('206'), device, {
        callId: 'race-1',
        cseq,
        toTag: 'callee',
        extra: [`Route: ${routes.join(', ')}`],
      });
    await device.send(inDialog('ACK', 1), at);
    await device.send(inDialog('BYE', 2), at);
    await pbx1.request('ACK', 'race-1');
    const { request: bye, from: byeFrom } = await pbx1.request('BYE', 'race-1');
    await pbx1.send(uaResponse(bye, 200, 'OK'), byeFrom);
    await device.response(200, 'BYE');
    t.pass();
  },
);

test.serial('CANCEL before the answer: 200 for the CANCEL, CANCEL downstream, then 487 for the INVITE', async (t) => {
  const branch = 'z9hG4bKcancel1';
  await device.send(uaRequest('INVITE', call('207'), device, { branch, callId: 'cancel-1' }), at);
  const { request: invite, from } = await pbx1.request('INVITE', 'cancel-1');
  await pbx1.send(uaResponse(invite, 180, 'Ringing', 'callee'), from);
  await device.response(180, 'INVITE');
  await device.send(uaRequest('CANCEL', call('207'), device, { branch, callId: 'cancel-1' }), at);
  await device.response(200, 'CANCEL');
  const { request: cancel, from: cancelFrom } = await pbx1.request('CANCEL', 'cancel-1');
  t.is(cancel.topVia().branch, invite.topVia().branch);
  await pbx1.send(uaResponse(cancel, 200, 'OK'), cancelFrom);
  await pbx1.send(uaResponse(invite, 487, 'Request Terminated', 'callee'), from);
  await device.response(487, 'INVITE');
  await pbx1.request('ACK', 'cancel-1');
});
