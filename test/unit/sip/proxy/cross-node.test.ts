import test from 'ava';
import { parseUri, type SipRequest, type SipUri } from '../../../../src/sip/message/index.js';
import type { MessageSource } from '../../../../src/sip/transport/index.js';
import { DOMAIN, PBX1, PROXY, contact, fromPbx, requestText, setup } from './harness.js';

/* Issue 6: a request for a device whose flow is on another node goes through that node's Path (cross-node.ts). */

const uri = (text: string) => parseUri(text, 'test') as SipUri;
const OWN_PATH = 'sip:192.0.2.10:5556;transport=tcp;fs-proxy-id=node1;lr';
const OTHER_PATH = 'sip:192.0.2.77:5556;transport=tcp;fs-proxy-id=node2;lr';
const DEVICE_URI = 'sip:bob@10.9.9.9:40001;transport=tcp';

/** Another node, connected to our internal listener. */
const NODE2: MessageSource = {
  transport: 'tcp',
  address: '192.0.2.77',
  port: 41000,
  local: { address: '192.0.2.10', port: 5556 },
  connectionId: 'node2conn',
};

/** A request from node2 through our Path Route with these extra Route parameters. */
function fromNode2(method: string, params: string, requestUri = DEVICE_URI): string {
  return requestText(method, requestUri, {
    via: 'SIP/2.0/TCP 192.0.2.77:5060;branch=z9hG4bKnode2x1',
    headers: [`Route: <${OWN_PATH}${params}>`],
  });
}

function bobHere(extra: Parameters<typeof contact>[1] = {}) {
  return contact(`${DEVICE_URI};fs-conn-id=conn42;pn-provider=fcm;pn-prid=T;pn-param=1`, {
    aor: `bob@${DOMAIN}`,
    path: [uri(OWN_PATH)],
    connectionId: 'conn42',
    ...extra,
  });
}

test("B: the other node's Path entry carries the flow reference (fs-flow, fs-aor); the Request-URI is clean", async (t) => {
  const { deliver, transport, contacts } = setup({ proxyId: 'node1' });
  contacts.byAor.set(`bob@${DOMAIN}`, [
    contact(`${DEVICE_URI};fs-conn-id=c0ffee;pn-provider=fcm;pn-prid=T;pn-param=1`, {
      path: [uri(OTHER_PATH), uri('sip:192.0.2.78:5060;lr')],
      connectionId: 'c0ffee',
    }),
  ]);
  await deliver(requestText('INVITE', `sip:bob@${DOMAIN}`), fromPbx());
  const [sent] = transport.to('192.0.2.77');
  t.like(sent!.destination, { transport: 'tcp', port: 5556 });
  const invite = sent!.message as SipRequest;
  t.deepEqual(
    invite.routes().map((route) => route.uri.toString()),
    [`${OTHER_PATH};fs-flow=c0ffee;fs-aor=bob%40${DOMAIN}`, 'sip:192.0.2.78:5060;lr'],
  );
  t.is(invite.uriText, DEVICE_URI);
});

test('A: a request through our Path with a genuine reference goes on the device connection, Route removed', async (t) => {
  const { deliver, transport, contacts } = setup({ proxyId: 'node1' });
  transport.connections.add('conn42');
  contacts.byAor.set(`bob@${DOMAIN}`, [bobHere()]);
  await deliver(fromNode2('INVITE', `;fs-flow=conn42;fs-aor=bob%40${DOMAIN}`), NODE2);
  const invites = transport.sent.filter((s) => 'method' in s.message && s.message.method === 'INVITE');
  t.is(invites.length, 1);
  t.like(invites[0]!.destination, { connectionId: 'conn42', connectionOnly: true });
  const invite = invites[0]!.message as SipRequest;
  t.false(invite.headers.has('route'));
  t.is(invite.uriText, DEVICE_URI);
  t.false(invite.toBuffer().toString().includes('fs-'), 'no internal parameter on the wire');
  t.is(transport.requestsTo(PBX1.address).length, 0);
});

test('A: the connection closed meanwhile: 503 Flow Gone to the other node, nothing sent anywhere', async (t) => {
  const { deliver, transport, contacts } = setup({ proxyId: 'node1' });
  contacts.byAor.set(`bob@${DOMAIN}`, [bobHere()]);
  await deliver(fromNode2('MESSAGE', `;fs-flow=conn42;fs-aor=bob%40${DOMAIN}`), NODE2);
  const [answer] = transport.responsesTo(NODE2.address);
  t.like(answer, { status: 503, reason: 'Flow Gone' });
  t.false(answer!.headers.has('retry-after'));
  t.is(transport.sent.filter((s) => 'method' in s.message).length, 0);
});

test('A: a reference no binding of that AOR uses (forged, wrong AOR, wrong contact, another node) gets 503', async (t) => {
  const cases: [string, string, string?][] = [
    ['made-up flow', `;fs-flow=0123456789abcdef;fs-aor=bob%40${DOMAIN}`],
    ['no flow named', `;fs-aor=bob%40${DOMAIN}`],
    ['another AOR', `;fs-flow=conn42;fs-aor=carol%40${DOMAIN}`],
    ['another contact', `;fs-flow=conn42;fs-aor=bob%40${DOMAIN}`, 'sip:bob@10.9.9.9:5999;transport=tcp'],
    ['unreadable flow', `;fs-flow=%3Cx%3E;fs-aor=bob%40${DOMAIN}`],
  ];
  for (const [label, params, requestUri] of cases) {
    const { deliver, transport, contacts } = setup({ proxyId: 'node1' });
    transport.connections.add('conn42');
    contacts.byAor.set(`bob@${DOMAIN}`, [bobHere()]);
    contacts.byAor.set(`carol@${DOMAIN}`, [bobHere({ path: [uri(OTHER_PATH)] })]);
    await deliver(fromNode2('MESSAGE', params, requestUri), NODE2);
    t.like(transport.responsesTo(NODE2.address)[0], { status: 503, reason: 'Unknown Flow' }, label);
    t.is(transport.sent.filter((s) => 'method' in s.message).length, 0, label);
  }
});

test('A: the binding registered through another node (its Path on top) is not delivered here', async (t) => {
  const { deliver, transport, contacts } = setup({ proxyId: 'node1' });
  transport.connections.add('conn42');
  contacts.byAor.set(`bob@${DOMAIN}`, [bobHere({ path: [uri(OTHER_PATH), uri(OWN_PATH)] })]);
  await deliver(fromNode2('MESSAGE', `;fs-flow=conn42;fs-aor=bob%40${DOMAIN}`), NODE2);
  t.like(transport.responsesTo(NODE2.address)[0], { status: 503, reason: 'Unknown Flow' });
});

test('A: without fs-aor the To URI names the AOR; a UDP device is reached where its REGISTER came from', async (t) => {
  const { deliver, transport, contacts } = setup({ proxyId: 'node1' });
  const flow: MessageSource = {
    transport: 'udp',
    address: '198.51.100.99',
    port: 31000,
    local: { address: PROXY.address, port: 5060 },
  };
  contacts.byAor.set(`bob@${DOMAIN}`, [
    contact('sip:bob@10.0.0.7:5060', { path: [uri(OWN_PATH)], connectionId: 'udpflow1', flow }),
  ]);
  const text = requestText('MESSAGE', 'sip:bob@10.0.0.7:5060', {
    via: 'SIP/2.0/TCP 192.0.2.77:5060;branch=z9hG4bKnode2x2',
    headers: [`Route: <${OWN_PATH};fs-flow=udpflow1>`],
  }).replace('To: <sip:bob@10.0.0.7:5060>', `To: <sip:bob@${DOMAIN}>`);
  await deliver(text, NODE2);
  const [sent] = transport.to('198.51.100.99');
  t.like(sent!.destination, { transport: 'udp', port: 31000 });
  t.is((sent!.message as SipRequest).uriText, 'sip:bob@10.0.0.7:5060');
});

test('A: the data Redis down: 503 Location Service Unavailable, as for any lookup', async (t) => {
  const { deliver, transport, contacts } = setup({ proxyId: 'node1' });
  contacts.lookup = async () => {
    throw new Error('Connection is closed.');
  };
  await deliver(fromNode2('MESSAGE', `;fs-flow=conn42;fs-aor=bob%40${DOMAIN}`), NODE2);
  t.like(transport.responsesTo(NODE2.address)[0], { status: 503, reason: 'Location Service Unavailable' });
});

test('A: an in-dialog request from the other node on a new connection (the old one closed) reaches the device', async (t) => {
  const { deliver, transport, contacts } = setup({ proxyId: 'node1' });
  transport.connections.add('conn42');
  contacts.byAor.set(`bob@${DOMAIN}`, [bobHere()]);
  await deliver(fromNode2('INVITE', `;fs-flow=conn42;fs-aor=bob%40${DOMAIN}`), NODE2);
  const invite = transport.sent.map((s) => s.message).find((m) => 'method' in m && m.method === 'INVITE') as SipRequest;
  const routeSet = invite.headers.lines('record-route').reverse().join(', ');
  // node2conn is not open (never was in this fake): the BYE comes on another connection of node2.
  const bye = requestText('BYE', DEVICE_URI, {
    via: 'SIP/2.0/TCP 192.0.2.77:5060;branch=z9hG4bKnode2bye',
    toTag: 'bob1',
    cseq: 2,
    headers: [`Route: ${routeSet}`],
  });
  await deliver(bye, { ...NODE2, port: 41001, connectionId: 'node2new' });
  const sent = transport.sent.find((s) => 'method' in s.message && s.message.method === 'BYE');
  t.like(sent?.destination, { connectionId: 'conn42', connectionOnly: true });
  t.deepEqual(
    transport.statusesTo(NODE2.address).filter((status) => status === 430),
    [],
  );
});

test('A: our Path Route on a public listener (not the internal one it names) is refused with 403', async (t) => {
  const { deliver, transport, contacts } = setup({ proxyId: 'node1' });
  transport.connections.add('conn42');
  contacts.byAor.set(`bob@${DOMAIN}`, [bobHere()]);
  const onPublic: MessageSource = { ...NODE2, local: { address: PROXY.address, port: PROXY.port } };
  await deliver(fromNode2('MESSAGE', `;fs-flow=conn42;fs-aor=bob%40${DOMAIN}`), onPublic);
  t.like(transport.responsesTo(NODE2.address)[0], { status: 403 });
  t.is(transport.sent.filter((s) => 'method' in s.message).length, 0, 'nothing delivered, nothing to the PBX');
});

test('A: a Flexisip node names the flow by the fs-conn-id left in the Request-URI; it never reaches the device', async (t) => {
  const { deliver, transport, contacts } = setup({ proxyId: 'node1' });
  transport.connections.add('conn42');
  contacts.byAor.set(`bob@${DOMAIN}`, [bobHere()]);
  // Flexisip copies the stored contact into the Request-URI, internal and push parameters included; To is the AOR.
  const flexisip = (connId: string) =>
    fromNode2('INVITE', '', `${DEVICE_URI};fs-conn-id=${connId};pn-provider=fcm;pn-prid=T;pn-param=1`).replace(
      /^To: .*$/m,
      `To: <sip:bob@${DOMAIN}>`,
    );
  await deliver(flexisip('conn42'), NODE2);
  const invites = transport.sent.filter((s) => 'method' in s.message && s.message.method === 'INVITE');
  t.is(invites.length, 1);
  t.like(invites[0]!.destination, { connectionId: 'conn42', connectionOnly: true });
  const invite = invites[0]!.message as SipRequest;
  t.is(invite.uriText, DEVICE_URI, 'internal and push parameters removed');
  t.false(invite.toBuffer().toString().includes('fs-'));

  const other = setup({ proxyId: 'node1' });
  other.transport.connections.add('conn42');
  other.contacts.byAor.set(`bob@${DOMAIN}`, [bobHere()]);
  await other.deliver(flexisip('conn99'), NODE2);
  const final = other.transport.responsesTo(NODE2.address).find((response) => response.status >= 200);
  t.like(final, { status: 503, reason: 'Unknown Flow' }, 'another connection id: not delivered');
  t.is(other.transport.sent.filter((s) => 'method' in s.message).length, 0);
});
