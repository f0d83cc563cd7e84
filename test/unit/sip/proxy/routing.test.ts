import test from 'ava';
import { parseUri, type SipUri } from '../../../../src/sip/message/index.js';
import { DEVICE, DOMAIN, PBX1, PROXY, PROXY_TCP, answer, contact, fromPbx, requestText, setup } from './harness.js';

const uri = (text: string) => parseUri(text, 'test') as SipUri;

test('a device calling a user of our domain who is not registered goes to the PBX, Request-URI untouched', async (t) => {
  const { deliver, transport, contacts } = setup();
  await deliver(requestText('INVITE', `sip:200@${DOMAIN}`));
  t.deepEqual(transport.statusesTo(DEVICE.address), [100]);
  const [invite] = transport.requestsTo(PBX1.address, 'INVITE');
  t.is(invite!.uriText, `sip:200@${DOMAIN}`);
  t.is(contacts.lookups, 1);
});

test('a device calling another domain goes to the PBX too (no open relay)', async (t) => {
  const { deliver, transport } = setup();
  await deliver(requestText('INVITE', 'sip:someone@elsewhere.example'));
  t.is(transport.requestsTo(PBX1.address, 'INVITE').length, 1);
  t.is(transport.requestsTo('elsewhere.example').length, 0);
});

test('from the PBX, a user of our domain without live contact gets 480 and the push hook is told', async (t) => {
  const { deliver, transport, pushed } = setup();
  await deliver(requestText('INVITE', `sip:bob@${DOMAIN}`), fromPbx());
  t.deepEqual(transport.statusesTo(PBX1.address), [100, 480]);
  t.deepEqual(pushed, [`bob@${DOMAIN}`]);
});

test('with localMissesToPbx off, a device gets 480 for an unregistered local user', async (t) => {
  const { deliver, transport } = setup({ localMissesToPbx: false });
  await deliver(requestText('MESSAGE', `sip:bob@${DOMAIN}`));
  t.deepEqual(transport.statusesTo(DEVICE.address), [480]);
});

test('a user of our domain is forked to every live contact, internal and push parameters removed', async (t) => {
  const { deliver, transport, contacts } = setup();
  contacts.byAor.set(`bob@${DOMAIN}`, [
    contact('sip:bob@198.51.100.1:5070;pn-provider=fcm;pn-prid=TOKEN;pn-param=123;fs-conn-id=abc'),
    contact('sip:bob@198.51.100.2:5080;transport=udp'),
  ]);
  await deliver(requestText('INVITE', `sip:bob@${DOMAIN}`), fromPbx());
  const [first] = transport.requestsTo('198.51.100.1', 'INVITE');
  const [second] = transport.requestsTo('198.51.100.2', 'INVITE');
  t.is(first!.uriText, 'sip:bob@198.51.100.1:5070');
  t.is(second!.uriText, 'sip:bob@198.51.100.2:5080;transport=udp');
  t.is(transport.to('198.51.100.1')[0]!.destination.port, 5070);
  t.not(first!.topVia().branch, second!.topVia().branch);
});

test("a contact's Path becomes Route headers in front; our own Path entry (fs-proxy-id) is skipped", async (t) => {
  const { deliver, transport, contacts } = setup({ proxyId: 'node1' });
  contacts.byAor.set(`bob@${DOMAIN}`, [
    contact('sip:bob@10.9.9.9:5070;transport=tcp', {
      path: [
        uri('sip:192.0.2.10:5556;transport=tcp;fs-proxy-id=node1;lr'),
        uri('sip:192.0.2.77:5556;transport=tcp;lr'),
      ],
    }),
  ]);
  await deliver(requestText('INVITE', `sip:bob@${DOMAIN}`), fromPbx());
  const sent = transport.to('192.0.2.77')[0]!;
  t.is(sent.destination.transport, 'tcp');
  t.is(sent.destination.port, 5556);
  const invite = sent.message as import('../../../../src/sip/message/index.js').SipRequest;
  t.deepEqual(
    invite.routes().map((route) => route.uri.toString()),
    ['sip:192.0.2.77:5556;transport=tcp;lr'],
  );
  t.is(invite.uriText, 'sip:bob@10.9.9.9:5070;transport=tcp');
});

test('a device on this node over TCP is reached on its own connection (fs-conn-id), never a new one', async (t) => {
  const { deliver, transport, contacts } = setup();
  transport.connections.add('conn42');
  contacts.byAor.set(`bob@${DOMAIN}`, [
    contact('sip:bob@10.1.1.1:5070;transport=tcp', { connectionId: 'conn42' }),
    contact('sip:bob@10.1.1.2:5070;transport=tcp', { connectionId: 'gone' }),
  ]);
  await deliver(requestText('INVITE', `sip:bob@${DOMAIN}`), fromPbx());
  const invites = transport.sent.filter((s) => 'method' in s.message && s.message.method === 'INVITE');
  t.is(invites.length, 1, 'the contact whose connection is gone is not tried');
  t.deepEqual(
    { id: invites[0]!.destination.connectionId, only: invites[0]!.destination.connectionOnly },
    { id: 'conn42', only: true },
  );
});

test('a UDP device behind NAT is reached at the address its REGISTER came from (the flow), not its Contact', async (t) => {
  const { deliver, transport, contacts } = setup();
  contacts.byAor.set(`bob@${DOMAIN}`, [
    contact('sip:bob@10.0.0.7:5060', {
      connectionId: 'udpflow',
      flow: { transport: 'udp', address: '198.51.100.99', port: 31000, local: { address: PROXY.address, port: 5060 } },
    }),
  ]);
  await deliver(requestText('MESSAGE', `sip:bob@${DOMAIN}`), fromPbx());
  const [sent] = transport.to('198.51.100.99');
  t.is(sent!.destination.port, 31000);
  t.is((sent!.message as import('../../../../src/sip/message/index.js').SipRequest).uriText, 'sip:bob@10.0.0.7:5060');
});

test('an AOR whose only contact lost its connection is unreachable: 480, and the push hook gets the contact', async (t) => {
  const { deliver, transport, contacts, pushed } = setup();
  contacts.byAor.set(`bob@${DOMAIN}`, [contact('sip:bob@10.1.1.2:5070;transport=tls', { connectionId: 'gone' })]);
  await deliver(requestText('INVITE', `sip:bob@${DOMAIN}`), fromPbx());
  t.deepEqual(transport.statusesTo(PBX1.address), [100, 480]);
  t.deepEqual(pushed, [`bob@${DOMAIN}`]);
});

test('a GRUU of our domain goes to its device; an unknown GRUU gets 480', async (t) => {
  const { deliver, transport, contacts } = setup();
  const gruu = `sip:bob@${DOMAIN};gr=urn:uuid:1234`;
  contacts.byGruu.set(gruu, contact('sip:bob@198.51.100.3:5062'));
  await deliver(requestText('MESSAGE', gruu, { toTag: 'x' }), fromPbx());
  await deliver(requestText('MESSAGE', `sip:bob@${DOMAIN};gr=urn:uuid:9999`, { callId: 'c9' }), fromPbx());
  t.is(transport.requestsTo('198.51.100.3', 'MESSAGE').length, 1);
  t.deepEqual(transport.statusesTo(PBX1.address), [480]);
});

test('a user "at" the proxy address (how a PBX may dial) is looked up in the main domain', async (t) => {
  const { deliver, transport, contacts } = setup();
  contacts.byAor.set(`bob@${DOMAIN}`, [contact('sip:bob@198.51.100.4:5060')]);
  await deliver(requestText('INVITE', `sip:bob@${PROXY.address}:${PROXY.port}`), fromPbx());
  t.is(transport.requestsTo('198.51.100.4', 'INVITE').length, 1);
});

test('Record-Route: ours on dialog-creating requests (with lr and a flow token), none when turned off', async (t) => {
  const on = setup();
  await on.deliver(requestText('INVITE', `sip:200@${DOMAIN}`));
  await on.deliver(requestText('MESSAGE', `sip:200@${DOMAIN}`, { callId: 'm' }));
  const [invite, message] = on.transport.requestsTo(PBX1.address);
  const [rr] = invite!.recordRoutes();
  t.truthy(rr);
  const rrUri = rr!.uri as SipUri;
  t.true(rrUri.hasParam('lr'));
  t.is(rrUri.host, PROXY.address);
  t.truthy(rrUri.user, 'the flow token');
  t.is(message!.recordRoutes().length, 0, 'MESSAGE creates no dialog');
  const off = setup({ recordRoute: false });
  await off.deliver(requestText('INVITE', `sip:200@${DOMAIN}`));
  t.is(off.transport.requestsTo(PBX1.address)[0]!.recordRoutes().length, 0);
});

test('double Record-Route (RFC 5658) when the request leaves over another transport than it came on', async (t) => {
  const { deliver, transport, contacts } = setup();
  transport.connections.add('c7');
  contacts.byAor.set(`bob@${DOMAIN}`, [contact('sip:bob@10.1.1.1:5070;transport=tcp', { connectionId: 'c7' })]);
  await deliver(requestText('INVITE', `sip:bob@${DOMAIN}`), fromPbx());
  const invite = transport.sent.find((s) => s.destination.connectionId === 'c7')!
    .message as import('../../../../src/sip/message/index.js').SipRequest;
  const routes = invite.recordRoutes().map((rr) => rr.uri as SipUri);
  t.deepEqual(
    routes.map((r) => `${r.host}:${r.port}:${r.transport ?? 'udp'}`),
    [`${PROXY_TCP.address}:5060:tcp`, `${PROXY.address}:5060:udp`],
  );
});

test('in-dialog: our Route is removed, the flow token sends the request to the other side of the dialog', async (t) => {
  const { deliver, transport, contacts } = setup();
  transport.connections.add('dev1');
  contacts.byAor.set(`bob@${DOMAIN}`, [contact('sip:bob@10.1.1.1:5070;transport=tcp', { connectionId: 'dev1' })]);
  await deliver(requestText('INVITE', `sip:bob@${DOMAIN}`, { callId: 'dlg' }), fromPbx());
  const invite = transport.sent.find((s) => s.destination.connectionId === 'dev1')!
    .message as import('../../../../src/sip/message/index.js').SipRequest;
  const routeSet = invite.recordRoutes().map((rr) => rr.toString());
  // The PBX hangs up: its BYE carries the route set, toward the device's Contact (a private address).
  const bye = requestText('BYE', 'sip:bob@10.1.1.1:5070;transport=tcp', {
    callId: 'dlg',
    cseq: 2,
    toTag: 'dev',
    headers: [`Route: ${routeSet.join(', ')}`],
  });
  await deliver(bye, fromPbx());
  const sent = transport.sent.at(-1)!;
  t.is((sent.message as import('../../../../src/sip/message/index.js').SipRequest).method, 'BYE');
  t.is(sent.destination.connectionId, 'dev1');
  t.false((sent.message as import('../../../../src/sip/message/index.js').SipRequest).headers.has('route'));
  // The device's connection closes: the next in-dialog request gets 430 Flow Failed.
  transport.connections.delete('dev1');
  await deliver(
    requestText('INFO', 'sip:bob@10.1.1.1:5070;transport=tcp', {
      callId: 'dlg',
      cseq: 3,
      toTag: 'dev',
      headers: [`Route: ${routeSet.join(', ')}`],
    }),
    fromPbx(),
  );
  t.deepEqual(transport.statusesTo(PBX1.address).slice(-1), [430]);
});

test('a forged flow token is ignored: the request is routed by its Request-URI', async (t) => {
  const { deliver, transport } = setup();
  const forged = `<sip:dGNwLDEuMi4zLjQsNSxjb25uWA.AAAAAAAAAAAA@${PROXY.address}:5060;lr>`;
  await deliver(
    requestText('BYE', 'sip:bob@198.51.100.8:5060', { toTag: 'x', headers: [`Route: ${forged}`] }),
    fromPbx(),
  );
  t.is(transport.requestsTo('198.51.100.8', 'BYE').length, 1);
});

test('loose routing: a Route left after ours is the next hop, the Request-URI stays', async (t) => {
  const { deliver, transport } = setup();
  await deliver(
    requestText('BYE', 'sip:carol@198.51.100.20', {
      toTag: 'x',
      headers: [`Route: <sip:${PROXY.address};lr>, <sip:198.51.100.30:5070;lr>`],
    }),
  );
  const [bye] = transport.requestsTo('198.51.100.30', 'BYE');
  t.is(bye!.uriText, 'sip:carol@198.51.100.20');
  t.deepEqual(
    bye!.routes().map((r) => r.toString()),
    ['<sip:198.51.100.30:5070;lr>'],
  );
});

test('strict routing: a Request-URI that is our Record-Route is replaced by the last Route (RFC 3261 16.4)', async (t) => {
  const { deliver, transport } = setup();
  await deliver(
    requestText('BYE', `sip:${PROXY.address}:5060;lr`, {
      toTag: 'x',
      headers: ['Route: <sip:carol@198.51.100.21:5090>'],
    }),
  );
  const [bye] = transport.requestsTo('198.51.100.21', 'BYE');
  t.is(bye!.uriText, 'sip:carol@198.51.100.21:5090');
  t.false(bye!.headers.has('route'));
});

test('a next hop that is a strict router (no lr) gets the Request-URI moved to the end of the Route set', async (t) => {
  const { deliver, transport } = setup();
  await deliver(
    requestText('BYE', 'sip:carol@198.51.100.22', { toTag: 'x', headers: ['Route: <sip:198.51.100.31:5060>'] }),
  );
  const [bye] = transport.requestsTo('198.51.100.31', 'BYE');
  t.is(bye!.uriText, 'sip:198.51.100.31:5060');
  t.deepEqual(
    bye!.routes().map((r) => r.toString()),
    ['<sip:carol@198.51.100.22>'],
  );
});

test('the ACK of a 2xx follows the Route set statelessly, with the same branch for each retransmission', async (t) => {
  const { deliver, transport } = setup();
  const ack = requestText('ACK', 'sip:callee@198.51.100.40:5060', {
    branch: 'z9hG4bKack1',
    toTag: 'x',
    headers: [`Route: <sip:${PROXY.address};lr>`],
  });
  await deliver(ack);
  await deliver(ack);
  const acks = transport.requestsTo('198.51.100.40', 'ACK');
  t.is(acks.length, 2);
  t.is(acks[0]!.topVia().branch, acks[1]!.topVia().branch);
  t.deepEqual(transport.statusesTo(DEVICE.address), [], 'an ACK is never answered');
});

test('a response that matches no transaction (a late 2xx) is forwarded statelessly to the next Via', async (t) => {
  const { deliver, transport } = setup();
  await deliver(requestText('MESSAGE', `sip:200@${DOMAIN}`));
  const forwarded = transport.requestsTo(PBX1.address, 'MESSAGE')[0]!;
  const late = answer(forwarded, 200);
  late.headers.replaceFirst('Via', late.topVia().withParam('branch', 'z9hG4bKsomethingElse').toString());
  await deliver(late, fromPbx());
  const up = transport.responsesTo(DEVICE.address);
  t.deepEqual(
    up.map((r) => r.status),
    [200],
  );
  t.is(up[0]!.topVia().branch, forwarded.vias()[1]!.branch);
});

test('a client behind HAProxy is told the frontend it connected to (the VIP) in our Record-Route', async (t) => {
  const { deliver, transport } = setup({}, [PROXY, PROXY_TCP, { transport: 'tls', address: '192.0.2.10', port: 5555 }]);
  const behindHaproxy = {
    transport: 'tls' as const,
    address: '203.0.113.9',
    port: 51000,
    connectionId: 'via-haproxy',
    local: { address: '192.0.2.10', port: 5555 },
    proxy: { peer: { address: '192.0.2.1', port: 40001 }, destination: { address: '198.51.100.10', port: 5554 } },
  };
  transport.connections.add('via-haproxy');
  await deliver(requestText('INVITE', `sip:200@${DOMAIN}`, { callId: 'vip' }), behindHaproxy);
  const invite = transport.requestsTo(PBX1.address, 'INVITE')[0]!;
  const uris = invite.recordRoutes().map((rr) => rr.uri as SipUri);
  t.deepEqual(
    uris.map((uri) => `${uri.host}:${uri.port}:${uri.transport ?? 'udp'}`),
    [`${PROXY.address}:5060:udp`, '198.51.100.10:5554:tls'],
  );
  // The PBX's BYE comes back through both: both are recognised as ours and removed.
  await deliver(
    requestText('BYE', 'sip:alice@10.0.0.8:5062;transport=tls', {
      callId: 'vip',
      toTag: 'x',
      headers: [
        `Route: ${[...invite.recordRoutes()]
          .reverse()
          .map((rr) => rr.toString())
          .join(', ')}`,
      ],
    }),
    fromPbx(),
  );
  const bye = transport.sent.at(-1)!;
  t.is(bye.destination.connectionId, 'via-haproxy');
});

test('a lookup that fails (the data Redis down) is answered 503 with Retry-After, not as a bug', async (t) => {
  const { deliver, transport, contacts, core } = setup();
  contacts.lookup = async () => {
    throw new Error('Connection is closed.');
  };
  await deliver(requestText('INVITE', `sip:bob@${DOMAIN}`), fromPbx());
  const [, answer] = transport.responsesTo(PBX1.address);
  t.is(answer!.status, 503);
  t.is(answer!.headers.get('retry-after'), '5');
  t.is(core.counters.lookupFailures, 1);
});
