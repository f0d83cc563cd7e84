import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { SipRequest, type SipMessage } from '../../src/sip/message/index.js';
import {
  SipTransportError,
  SipTransportLayer,
  type ListenSpec,
  type MessageSource,
  type TransportLimits,
} from '../../src/sip/transport/index.js';
import { TcpClient, optionsRequest, readReply } from '../fixtures/sip/clients.js';
import { createSipTestPki, type SipTestPki } from '../fixtures/sip/tls-certs.js';
import { WsTestClient, maskedFrame } from '../fixtures/sip/ws-client.js';
import { waitFor } from '../helpers/wait.js';

// SIP over WebSocket (RFC 7118) in-process, over real loopback sockets: Node's own WebSocket client and a small test
// client that can also break the rules; the opening handshake, frames, and the flows they make.

const quiet = pino({ level: 'silent' });
let pki: SipTestPki;

test.before(() => {
  pki = createSipTestPki();
});

test.after.always(() => pki?.remove());

interface Started {
  layer: SipTransportLayer;
  received: { message: SipMessage; source: MessageSource }[];
  port(transport: 'ws' | 'wss'): number;
}

async function start(t: ExecutionContext, limits: Partial<TransportLimits> = {}, path?: string): Promise<Started> {
  const listen: ListenSpec[] = [
    { transport: 'ws', address: '127.0.0.1', port: 0, ...(path ? { path } : {}) },
    { transport: 'wss', address: '127.0.0.1', port: 0, tls: pki.ecdsa, ...(path ? { path } : {}) },
  ];
  const layer = await SipTransportLayer.start({ listen, limits, log: quiet });
  t.teardown(() => layer.close());
  const received: Started['received'] = [];
  layer.onMessage((message, source) => {
    received.push({ message, source });
    if (message instanceof SipRequest) layer.reply(message, source, 200).catch(() => undefined);
  });
  const port = (transport: 'ws' | 'wss') => layer.listeners().find((l) => l.transport === transport)!.port;
  return { layer, received, port };
}

function delivered(started: Started, callId: string) {
  return waitFor(`message ${callId} delivered`, () => started.received.find((r) => r.message.callId() === callId), {
    timeoutMs: 5_000,
    everyMs: 5,
  });
}

async function wss(
  t: ExecutionContext,
  started: Started,
  options: { protocols?: string[]; version?: string; path?: string } = {},
) {
  const client = await WsTestClient.open({
    host: '127.0.0.1',
    port: started.port('wss'),
    tls: { ca: pki.ca, servername: 'localhost' },
    ...options,
  });
  t.teardown(() => client.destroy());
  return client;
}

async function ws(
  t: ExecutionContext,
  started: Started,
  options: { protocols?: string[]; version?: string; path?: string } = {},
) {
  const client = await WsTestClient.open({ host: '127.0.0.1', port: started.port('ws'), ...options });
  t.teardown(() => client.destroy());
  return client;
}

function register(callId: string): string {
  return [
    'REGISTER sip:example.com SIP/2.0',
    `Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK-${callId};rport`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:alice@example.com>',
    `Call-ID: ${callId}`,
    'CSeq: 1 REGISTER',
    'Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>;expires=600;+sip.instance="<urn:uuid:00000000-0000-4000-8000-000000000001>";reg-id=1',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

test("ws: Node's WebSocket client with the sip subprotocol gets 200 to OPTIONS; the source is ws with an id", async (t) => {
  const started = await start(t);
  const socket = new WebSocket(`ws://127.0.0.1:${started.port('ws')}/`, 'sip');
  t.teardown(() => socket.close());
  const answers: string[] = [];
  socket.addEventListener('message', (event) => answers.push(String(event.data)));
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve);
    socket.addEventListener('error', reject);
  });
  t.is(socket.protocol, 'sip');
  socket.send(optionsRequest('ws-node', 'WS', 'df7jal23ls0d.invalid').toString());
  const answer = await waitFor('the 200', () => answers[0]);
  t.deepEqual([readReply(Buffer.from(answer)).status, readReply(Buffer.from(answer)).callId], [200, 'ws-node']);
  const { source, message } = await delivered(started, 'ws-node');
  t.like(source, { transport: 'ws', address: '127.0.0.1' });
  t.true(started.layer.hasConnection(source.connectionId!));
  t.is(message.topVia().received, '127.0.0.1');
  t.is(started.layer.counters.wsConnectionsOpen, 1);
});

test('wss: a REGISTER-shaped request arrives with its flow; the answer and a later request go back on it', async (t) => {
  const started = await start(t);
  const closed: string[] = [];
  started.layer.onConnectionClosed((id) => closed.push(id));
  const client = await wss(t, started);
  t.is(client.status, 101);
  t.regex(client.head, /\r\nSec-WebSocket-Protocol: sip(\r\n|$)/i);
  client.sendText(register('wss-reg'));
  const reply = await client.nextReply('the 200 to REGISTER');
  t.deepEqual([reply.status, reply.callId], [200, 'wss-reg']);
  t.regex(reply.text, /;rport=\d+;received=127\.0\.0\.1/);
  const { source, message } = await delivered(started, 'wss-reg');
  t.is((message as SipRequest).method, 'REGISTER');
  t.like(source, { transport: 'wss', address: '127.0.0.1' });
  // A request for the device travels on its flow, as one WebSocket message.
  await started.layer.send(optionsRequest('to-device', 'WSS'), {
    transport: 'wss',
    address: source.address,
    port: source.port,
    connectionId: source.connectionId!,
  });
  const frame = await client.nextFrame('the request on the flow');
  t.is(frame.opcode, 1);
  t.regex(frame.payload.toString(), /^OPTIONS sip:probe@example\.com SIP\/2\.0\r\n[\s\S]*Call-ID: to-device\r\n/);
  client.destroy();
  await waitFor('the closed flow to be reported', () => closed.includes(source.connectionId!));
  const gone = started.layer.send(optionsRequest('too-late', 'WSS'), {
    transport: 'wss',
    address: source.address,
    port: source.port,
    connectionId: source.connectionId!,
  });
  t.is((await t.throwsAsync(gone, { instanceOf: SipTransportError }))?.failure, 'no-connection');
});

test('the upgrade is refused with the HTTP answer that says what to change', async (t) => {
  const started = await start(t, {}, '/sip');
  const noSip = await wss(t, started, { protocols: [], path: '/sip' });
  t.is(noSip.status, 400);
  t.regex(noSip.head, /\r\nSec-WebSocket-Protocol: sip\r\n/);
  const other = await ws(t, started, { protocols: ['chat', 'mqtt'], path: '/sip' });
  t.is(other.status, 400);
  const version = await ws(t, started, { version: '8', path: '/sip' });
  t.is(version.status, 426);
  t.regex(version.head, /\r\nSec-WebSocket-Version: 13\r\n/);
  const path = await ws(t, started, { path: '/elsewhere' });
  t.is(path.status, 404);
  const plain = await TcpClient.connect('127.0.0.1', started.port('ws'));
  t.teardown(() => plain.destroy());
  plain.write(Buffer.from('GET /sip HTTP/1.1\r\nHost: x\r\n\r\n'));
  await plain.waitClosed('a plain GET to be answered and closed');
  const noise = await TcpClient.connect('127.0.0.1', started.port('ws'));
  t.teardown(() => noise.destroy());
  noise.write(Buffer.from('\x00\x01\x02 not http at all\r\n\r\n'));
  await noise.waitClosed('noise to be closed');
  for (const client of [noSip, other, version, path]) await client.waitClosed('the refused connection to close');
  t.is(started.layer.counters.wsUpgradesRefused, 6);
  const good = await ws(t, started, { path: '/sip' });
  t.is(good.status, 101);
});

test('frames: fragments join into one message, binary works, pings and CRLF keep-alives are answered', async (t) => {
  const started = await start(t);
  const client = await ws(t, started);
  const text = optionsRequest('fragmented', 'WS', 'a.invalid');
  client.write(maskedFrame(1, text.subarray(0, 10), false));
  client.write(maskedFrame(9, Buffer.from('in between')));
  client.write(maskedFrame(0, text.subarray(10, 100), false));
  client.write(maskedFrame(0, text.subarray(100), true));
  const pong = await client.nextFrame('the pong');
  t.deepEqual([pong.opcode, pong.payload.toString()], [10, 'in between']);
  t.is((await client.nextReply('the 200 to the fragmented request')).callId, 'fragmented');
  client.sendFrame(2, optionsRequest('binary', 'WS', 'a.invalid'));
  t.is((await client.nextReply('the 200 to the binary request')).callId, 'binary');
  client.sendText('\r\n\r\n');
  const crlf = await client.nextFrame('the CRLF pong');
  t.deepEqual([crlf.opcode, crlf.payload.toString()], [1, '\r\n']);
  t.is(started.layer.counters.keepAlives, 2);
});

test('a SIP message with a wrong Content-Length is answered 400 and the flow goes on', async (t) => {
  const started = await start(t);
  const client = await ws(t, started);
  const longer = optionsRequest('too-long', 'WS', 'a.invalid')
    .toString()
    .replace('Content-Length: 0', 'Content-Length: 10');
  client.sendText(longer);
  const reply = await client.nextReply('the 400');
  t.deepEqual([reply.status, reply.reason, reply.callId], [400, 'Bad Content-Length header', 'too-long']);
  client.sendText(
    `${optionsRequest('too-short', 'WS', 'a.invalid').toString().replace('Content-Length: 0', 'Content-Length: 2')}hello`,
  );
  t.is((await client.nextReply('the 400 for a body longer than announced')).status, 400);
  client.sendText(optionsRequest('fine', 'WS', 'a.invalid'));
  t.deepEqual((await client.nextReply('the 200')).callId, 'fine');
  t.false(client.closed);
});

const violations = [
  { what: 'an unmasked frame', bytes: () => Buffer.from([0x81, 0x02, 0x68, 0x69]), code: 1002 },
  { what: 'a reserved opcode', bytes: () => maskedFrame(3, Buffer.from('x')), code: 1002 },
  {
    what: 'a reserved bit',
    bytes: () => Buffer.concat([Buffer.from([0xc1]), maskedFrame(1, Buffer.from('x')).subarray(1)]),
    code: 1002,
  },
  { what: 'a fragmented ping', bytes: () => maskedFrame(9, Buffer.from('x'), false), code: 1002 },
  { what: 'a continuation with nothing to continue', bytes: () => maskedFrame(0, Buffer.from('x')), code: 1002 },
  {
    what: 'a length over the limit (announced, never sent)',
    bytes: () => Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4]),
    code: 1009,
  },
  { what: 'text that is not UTF-8', bytes: () => maskedFrame(1, Buffer.from([0xc3, 0x28, 0xa0, 0xa1])), code: 1007 },
  { what: 'a close code no peer may send', bytes: () => maskedFrame(8, Buffer.from([0x03, 0xed])), code: 1002 },
];

for (const violation of violations) {
  test(`${violation.what} closes the WebSocket with ${violation.code}; the server goes on`, async (t) => {
    const started = await start(t, { maxMessageBytes: 4096 });
    const client = await ws(t, started);
    client.write(violation.bytes());
    t.is(await client.nextClose('the close frame'), violation.code);
    await client.waitClosed('the connection to close');
    t.is(started.layer.counters.wsProtocolErrors, 1);
    const next = await wss(t, started);
    next.sendText(optionsRequest('still-here', 'WSS', 'a.invalid'));
    t.is((await next.nextReply('the 200 after the violation')).status, 200);
  });
}

test('a close frame is answered with a close frame, then the connection ends', async (t) => {
  const started = await start(t);
  const client = await wss(t, started);
  client.sendFrame(8, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]));
  t.is(await client.nextClose('the answering close frame'), 1000);
  await client.waitClosed('the end of the connection');
  await waitFor('the flow to be gone', () => started.layer.counters.wsConnectionsOpen === 0);
  t.is(started.layer.counters.wsProtocolErrors, 0);
});
