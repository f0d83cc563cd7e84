import { createServer, type Socket } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import {
  SipRequest,
  SipResponse,
  createResponse,
  parseDatagram,
  type SipMessage,
} from '../../src/sip/message/index.js';
import {
  SipTransportError,
  SipTransportLayer,
  type ListenSpec,
  type MessageSource,
  type TransportLimits,
} from '../../src/sip/transport/index.js';
import { TcpClient, UdpClient, optionsRequest, type Reply } from '../fixtures/sip/clients.js';
import { waitFor } from '../helpers/wait.js';

// The transports in-process, over real loopback sockets: what reaches the handler, where answers go, and the limits.

const quiet = pino({ level: 'silent' });
const LOOPBACK: ListenSpec[] = [
  { transport: 'udp', address: '127.0.0.1', port: 0 },
  { transport: 'tcp', address: '127.0.0.1', port: 0 },
];

interface Started {
  layer: SipTransportLayer;
  received: { message: SipMessage; source: MessageSource }[];
  port(transport: 'udp' | 'tcp', family?: 4 | 6): number;
}

async function start(t: ExecutionContext, limits: Partial<TransportLimits> = {}, listen = LOOPBACK): Promise<Started> {
  const layer = await SipTransportLayer.start({ listen, limits, log: quiet });
  t.teardown(() => layer.close());
  const received: Started['received'] = [];
  layer.onMessage((message, source) => {
    received.push({ message, source });
  });
  const port = (transport: 'udp' | 'tcp', family: 4 | 6 = 4) =>
    layer.listeners().find((l) => l.transport === transport && l.address.includes(':') === (family === 6))!.port;
  return { layer, received, port };
}

/** Waits until the handler got a message with this Call-ID. */
function delivered(started: Started, callId: string) {
  return waitFor(`message ${callId} delivered`, () => started.received.find((r) => r.message.callId() === callId), {
    timeoutMs: 5_000,
    everyMs: 5,
  });
}

test('UDP: a request reaches the handler with its source and received/rport; the answer returns to that port', async (t) => {
  const started = await start(t);
  const client = await UdpClient.open();
  t.teardown(() => client.close());
  await client.send(optionsRequest('udp-1'), '127.0.0.1', started.port('udp'));
  const { message, source } = await delivered(started, 'udp-1');
  t.deepEqual(source, {
    transport: 'udp',
    address: '127.0.0.1',
    port: client.port,
    local: { address: '127.0.0.1', port: started.port('udp') },
  });
  t.is(message.topVia().received, '127.0.0.1');
  t.is(message.topVia().rport, client.port);
  await started.layer.reply(message as SipRequest, source, 200);
  const reply = await client.next('the 200');
  t.deepEqual([reply.status, reply.callId], [200, 'udp-1']);
  t.regex(reply.text, new RegExp(`;rport=${client.port};received=127\\.0\\.0\\.1\\r\\n`));
  t.true(started.layer.udpReceiveBufferBytes()[0]! >= 1 << 20, 'a receive buffer of at least 1 MiB was granted');
});

test('TCP: a connection has an id; the answer goes back on it; closing it is reported', async (t) => {
  const started = await start(t);
  const closed: string[] = [];
  started.layer.onConnectionClosed((id) => closed.push(id));
  const client = await TcpClient.connect('127.0.0.1', started.port('tcp'));
  t.teardown(() => client.destroy());
  client.write(Buffer.concat([optionsRequest('tcp-1', 'TCP'), optionsRequest('tcp-2', 'TCP')]));
  const first = await delivered(started, 'tcp-1');
  const second = await delivered(started, 'tcp-2');
  const id = first.source.connectionId!;
  t.regex(id, /^[0-9a-f]{16}$/);
  t.is(second.source.connectionId, id, 'one connection, one id');
  t.is(first.source.port, client.localPort);
  t.true(started.layer.hasConnection(id));
  await started.layer.sendResponse(createResponse(first.message as SipRequest, 200), first.source);
  const reply = (await client.next('the 200 on the same connection')) as Reply;
  t.is(reply.callId, 'tcp-1');
  t.is(started.layer.counters.tcpConnectionsOpen, 1);
  client.destroy();
  await waitFor('the close to be reported', () => closed.includes(id));
  t.false(started.layer.hasConnection(id));
  await t.throwsAsync(
    started.layer.send(Buffer.from('x'), {
      transport: 'tcp',
      address: '127.0.0.1',
      port: client.localPort,
      connectionId: id,
      connectionOnly: true,
    }),
    {
      instanceOf: SipTransportError,
      message: /is closed/,
    },
  );
});

test('TCP: a CRLFCRLF ping gets a CRLF pong (RFC 5626), and an idle connection is closed', async (t) => {
  const started = await start(t, { tcpIdleTimeoutMs: 300 });
  const client = await TcpClient.connect('127.0.0.1', started.port('tcp'));
  t.teardown(() => client.destroy());
  client.write(Buffer.from('\r\n\r\n'));
  t.is(await client.next('the pong'), 'pong');
  t.is(started.layer.counters.keepAlives, 1);
  await client.waitClosed('the idle connection to be closed', 5_000);
  t.is(started.layer.counters.tcpConnectionsOpen, 0);
});

test('TCP: connections per source address are limited; exempt sources are not', async (t) => {
  const started = await start(t, { tcpConnectionsPerSource: 2, exemptSources: ['127.0.0.3'] });
  const port = started.port('tcp');
  const clients = await Promise.all([1, 2, 3].map(() => TcpClient.connect('127.0.0.1', port, '127.0.0.2')));
  t.teardown(() => clients.forEach((c) => c.destroy()));
  await waitFor('one of three connections to be refused', () => clients.some((c) => c.closed));
  t.is(clients.filter((c) => c.closed).length, 1);
  t.is(started.layer.counters.tcpConnectionsRefused, 1);
  const exempt = await Promise.all([1, 2, 3].map(() => TcpClient.connect('127.0.0.1', port, '127.0.0.3')));
  t.teardown(() => exempt.forEach((c) => c.destroy()));
  for (const [i, c] of exempt.entries()) c.write(optionsRequest(`exempt-${i}`, 'TCP'));
  await Promise.all(exempt.map((_, i) => delivered(started, `exempt-${i}`)));
  t.true(exempt.every((c) => !c.closed));
});

test('UDP: messages per source address are limited by a token bucket; other sources are not slowed', async (t) => {
  const started = await start(t, { messagesPerSecondPerSource: 1, burstPerSource: 3 });
  const noisy = await UdpClient.open('127.0.0.2');
  const calm = await UdpClient.open('127.0.0.3');
  t.teardown(() => [noisy, calm].forEach((c) => c.close()));
  for (let i = 0; i < 10; i++) await noisy.send(optionsRequest(`noisy-${i}`), '127.0.0.1', started.port('udp'));
  await calm.send(optionsRequest('calm'), '127.0.0.1', started.port('udp'));
  // Datagrams are read in order: once the calm one is in, all the noisy ones were judged.
  await delivered(started, 'calm');
  const fromNoisy = started.received.filter((r) => r.source.address === '127.0.0.2').length;
  t.true(fromNoisy >= 3 && fromNoisy <= 4, `${fromNoisy} delivered: the burst, plus at most one refilled token`);
  t.is(started.layer.counters.rateLimited, 10 - fromNoisy);
});

test('IPv6: UDP and TCP on ::1, received written without brackets', async (t) => {
  const started = await start(t, {}, [
    { transport: 'udp', address: '::1', port: 0 },
    { transport: 'tcp', address: '::1', port: 0 },
  ]);
  const udp = await UdpClient.open('::1');
  t.teardown(() => udp.close());
  await udp.send(optionsRequest('v6-udp', 'UDP', '2001:db8::5'), '::1', started.port('udp', 6));
  const { message, source } = await delivered(started, 'v6-udp');
  t.is(source.address, '::1');
  t.is(message.topVia().toString(), `SIP/2.0/UDP [2001:db8::5];branch=z9hG4bK-v6-udp;rport=${udp.port};received=::1`);
  await started.layer.reply(message as SipRequest, source, 200);
  t.is((await udp.next('the 200 over IPv6')).status, 200);
  const tcp = await TcpClient.connect('::1', started.port('tcp', 6));
  t.teardown(() => tcp.destroy());
  tcp.write(optionsRequest('v6-tcp', 'TCP', '::1'));
  const overTcp = await delivered(started, 'v6-tcp');
  await started.layer.reply(overTcp.message as SipRequest, overTcp.source, 200);
  t.is(((await tcp.next('the 200 over TCP IPv6')) as Reply).status, 200);
  await t.throwsAsync(started.layer.send(Buffer.from('x'), { transport: 'udp', address: '127.0.0.1', port: 5060 }), {
    instanceOf: SipTransportError,
    message: /no UDP listener for IPv4/,
  });
});

test('outgoing TCP: a connection is opened on demand, reused, and what the peer sends back is read', async (t) => {
  const started = await start(t);
  const peerSockets: Socket[] = [];
  const peerData: Buffer[] = [];
  const peer = createServer((socket) => {
    peerSockets.push(socket);
    socket.on('data', (chunk) => peerData.push(chunk));
  });
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    peerSockets.forEach((s) => s.destroy());
    peer.close();
  });
  const peerPort = (peer.address() as { port: number }).port;
  const request = parseDatagram(optionsRequest('out-1', 'TCP', '127.0.0.1')) as SipRequest;
  await started.layer.send(request, { transport: 'tcp', address: '127.0.0.1', port: peerPort });
  await started.layer.send(parseDatagram(optionsRequest('out-2', 'TCP', '127.0.0.1')), {
    transport: 'tcp',
    address: '127.0.0.1',
    port: peerPort,
  });
  await waitFor('the peer to get both requests', () => Buffer.concat(peerData).toString().includes('Call-ID: out-2'));
  t.is(peerSockets.length, 1, 'the second request reused the connection');
  peerSockets[0]!.write(createResponse(request, 200).toBuffer());
  const answer = await waitFor('the response to be read', () =>
    started.received.find((r) => r.message instanceof SipResponse),
  );
  t.is(answer.source.transport, 'tcp');
  t.is(answer.source.port, peerPort);
  t.true(started.layer.hasConnection(answer.source.connectionId!));
  await t.throwsAsync(started.layer.send(request, { transport: 'tcp', address: '127.0.0.1', port: 1 }), {
    instanceOf: SipTransportError,
    message: /cannot connect/,
  });
});

test('bad input and a failing handler never stop the transports', async (t) => {
  const started = await start(t);
  let calls = 0;
  started.layer.onMessage(async (message, source) => {
    calls++;
    if (message.callId() === 'boom') throw new Error('a bug in the handler');
    if (message.callId() === 'boom-later') {
      await Promise.resolve();
      throw new Error('a bug after an await');
    }
    started.received.push({ message, source });
  });
  const client = await UdpClient.open();
  t.teardown(() => client.close());
  const port = started.port('udp');
  await client.send(optionsRequest('boom'), '127.0.0.1', port);
  await client.send(optionsRequest('boom-later'), '127.0.0.1', port);
  await client.send(Buffer.from('\r\n\r\n'), '127.0.0.1', port);
  await client.send(Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n'), '127.0.0.1', port);
  await client.send(
    Buffer.from(optionsRequest('bad-mf').toString().replace('Max-Forwards: 70', 'Max-Forwards: many')),
    '127.0.0.1',
    port,
  );
  await client.send(optionsRequest('after'), '127.0.0.1', port);
  await delivered(started, 'after');
  t.is(calls, 3);
  const { counters } = started.layer;
  t.is(counters.handlerErrors, 2);
  t.is(counters.keepAlives, 1);
  t.is(counters.droppedMalformed, 1);
  t.is(counters.answeredMalformed, 1);
  const answer = await client.next('the 400');
  t.deepEqual([answer.status, answer.reason, answer.callId], [400, 'Bad Max-Forwards header', 'bad-mf']);
  await t.throwsAsync(
    started.layer.send(Buffer.alloc(70_000), { transport: 'udp', address: '127.0.0.1', port: client.port }),
    { instanceOf: SipTransportError, message: /over the 65535 limit/ },
  );
});
