import test from 'ava';
import { SipRequest } from '../../../../src/sip/message/index.js';
import { DEVICE, DOMAIN, PBX1, PROXY, requestText, setup } from './harness.js';

const CALL = `sip:200@${DOMAIN}`;

test('Max-Forwards 0 is answered 483; an OPTIONS with Max-Forwards 0 is answered by the proxy itself', async (t) => {
  const { deliver, transport } = setup();
  await deliver(requestText('INVITE', CALL, { maxForwards: '0' }));
  t.deepEqual(transport.statusesTo(DEVICE.address), [483]);
  t.is(transport.requestsTo(PBX1.address).length, 0);
  await deliver(requestText('OPTIONS', CALL, { maxForwards: '0', callId: 'o1' }));
  t.deepEqual(transport.statusesTo(DEVICE.address), [483, 200]);
});

test('Max-Forwards is decremented on the way, and set to 70 when absent', async (t) => {
  const { deliver, transport } = setup();
  await deliver(requestText('INVITE', CALL, { maxForwards: '7' }));
  await deliver(requestText('MESSAGE', CALL, { maxForwards: undefined, callId: 'm1' }));
  const [invite, message] = transport.requestsTo(PBX1.address);
  t.is(invite!.maxForwards(), 6);
  t.is(message!.maxForwards(), 70);
});

test('Proxy-Require with any option tag is answered 420 listing them in Unsupported', async (t) => {
  const { deliver, transport } = setup();
  await deliver(requestText('INVITE', CALL, { headers: ['Proxy-Require: foo, bar'] }));
  const [response] = transport.responsesTo(DEVICE.address);
  t.is(response!.status, 420);
  t.is(response!.headers.get('unsupported'), 'foo, bar');
});

test('a request that comes back with our Via and the same loop hash is a loop: 482, not forwarded again', async (t) => {
  const { deliver, transport } = setup();
  await deliver(requestText('INVITE', CALL, { branch: 'z9hG4bKloop1' }));
  const forwarded = transport.requestsTo(PBX1.address, 'INVITE')[0]!;
  // The PBX (misconfigured) sends it straight back to us, adding its own Via.
  const back = new SipRequest(forwarded.method, forwarded.uriText, forwarded.headers.clone());
  back.headers.prepend('Via', 'SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKpbx1');
  await deliver(back, { ...DEVICE, address: '192.0.2.50', port: 5060 });
  t.deepEqual(transport.statusesTo('192.0.2.50'), [482]);
  t.is(transport.requestsTo(PBX1.address, 'INVITE').length, 1);
});

test('a spiral (the same request retargeted: another Request-URI) is not a loop', async (t) => {
  const { deliver, transport } = setup();
  await deliver(requestText('MESSAGE', CALL, { branch: 'z9hG4bKspiral' }));
  const forwarded = transport.requestsTo(PBX1.address, 'MESSAGE')[0]!;
  const back = new SipRequest(forwarded.method, `sip:201@${DOMAIN}`, forwarded.headers.clone());
  back.headers.prepend('Via', 'SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKpbx2');
  await deliver(back, { ...DEVICE, address: '192.0.2.50', port: 5060 });
  t.is(transport.statusesTo('192.0.2.50').filter((status) => status === 482).length, 0);
});

test('our Via is on top of the forwarded request, with a new RFC 3261 branch for each branch', async (t) => {
  const { deliver, transport } = setup();
  await deliver(requestText('MESSAGE', CALL, { branch: 'z9hG4bKa' }));
  await deliver(requestText('MESSAGE', CALL, { branch: 'z9hG4bKb', callId: 'c2' }));
  const [one, two] = transport.requestsTo(PBX1.address);
  const [top, theirs] = one!.vias();
  t.is(top!.host, PROXY.address);
  t.is(top!.port, PROXY.port);
  t.true(top!.hasRfc3261Branch);
  t.not(top!.branch, two!.topVia().branch);
  t.is(theirs!.branch, 'z9hG4bKa');
});

test('OPTIONS for the proxy itself (no user part) is answered 200 with Allow; other methods 405', async (t) => {
  const { deliver, transport } = setup();
  await deliver(requestText('OPTIONS', `sip:${PROXY.address}:${PROXY.port}`));
  await deliver(requestText('INFO', `sip:${PROXY.address}`, { callId: 'i1' }));
  const [options, info] = transport.responsesTo(DEVICE.address);
  t.is(options!.status, 200);
  t.regex(options!.headers.get('allow') ?? '', /INVITE/);
  t.is(info!.status, 405);
});

test('a header the proxy must read but cannot (a bad Route) gets 400 with the reason', async (t) => {
  const { deliver, transport } = setup();
  await deliver(requestText('MESSAGE', CALL, { headers: ['Route: <sip:bad host>'] }));
  const [response] = transport.responsesTo(DEVICE.address);
  t.is(response!.status, 400);
  t.regex(response!.reason, /Route/);
});
