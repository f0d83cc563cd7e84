import { connect } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { SipRequest, type SipMessage } from '../../src/sip/message/index.js';
import {
  SipTransportLayer,
  type ListenSpec,
  type MessageSource,
  type TransportLimits,
} from '../../src/sip/transport/index.js';
import { TcpClient, optionsRequest, type Reply } from '../fixtures/sip/clients.js';
import { proxyV1, proxyV2, proxyV2Local, type ProxiedConnection } from '../fixtures/sip/proxy-header.js';
import { createSipTestPki, type SipTestPki } from '../fixtures/sip/tls-certs.js';
import { WsTestClient } from '../fixtures/sip/ws-client.js';
import { waitFor } from '../helpers/wait.js';

// The PROXY protocol in-process: on listeners behind HAProxy the header's client is the connection's remote address
// everywhere (source, Via received/rport, per-source limits), before TLS and WebSocket too; a header is required
// there and refused everywhere else.

const quiet = pino({ level: 'silent' });
let pki: SipTestPki;

test.before(() => {
  pki = createSipTestPki();
});

test.after.always(() => pki?.remove());

const CLIENT: ProxiedConnection = {
  source: '203.0.113.7',
  sourcePort: 40000,
  destination: '198.51.100.10',
  destinationPort: 5554,
};

interface Started {
  layer: SipTransportLayer;
  received: { message: SipMessage; source: MessageSource }[];
  port(transport: ListenSpec['transport'], behindProxy?: boolean): number;
}

async function start(t: ExecutionContext, limits: Partial<TransportLimits> = {}): Promise<Started> {
  const listen: ListenSpec[] = [
    { transport: 'tcp', address: '127.0.0.1', port: 0, behindProxy: true },
    { transport: 'tcp', address: '127.0.0.1', port: 0 },
    { transport: 'tls', address: '127.0.0.1', port: 0, behindProxy: true, tls: pki.ecdsa },
    { transport: 'tls', address: '127.0.0.1', port: 0, tls: pki.ecdsa },
    { transport: 'wss', address: '127.0.0.1', port: 0, behindProxy: true, tls: pki.rsa },
  ];
  const layer = await SipTransportLayer.start({ listen, limits, log: quiet });
  t.teardown(() => layer.close());
  const received: Started['received'] = [];
  layer.onMessage((message, source) => {
    received.push({ message, source });
    if (message instanceof SipRequest) layer.reply(message, source, 200).catch(() => undefined);
  });
  const port = (transport: ListenSpec['transport'], behindProxy = false) =>
    layer.listeners().find((l) => l.transport === transport && (l.behindProxy ?? false) === behindProxy)!.port;
  return { layer, received, port };
}

function delivered(started: Started, callId: string) {
  return waitFor(`message ${callId} delivered`, () => started.received.find((r) => r.message.callId() === callId), {
    timeoutMs: 5_000,
    everyMs: 5,
  });
}

async function tcp(t: ExecutionContext, port: number): Promise<TcpClient> {
  const client = await TcpClient.connect('127.0.0.1', port);
  t.teardown(() => client.destroy());
  return client;
}

test('TCP behind HAProxy: the v2 header names the client in the source, the Via and the answer', async (t) => {
  const started = await start(t);
  const client = await tcp(t, started.port('tcp', true));
  client.write(Buffer.concat([proxyV2(CLIENT), optionsRequest('v2-tcp', 'TCP', '10.0.0.5')]));
  const reply = (await client.next('the 200')) as Reply;
  t.is(reply.status, 200);
  t.regex(reply.text, /Via: SIP\/2\.0\/TCP 10\.0\.0\.5;branch=[^\r]*;rport=40000;received=203\.0\.113\.7\r\n/);
  const { source, message } = await delivered(started, 'v2-tcp');
  t.like(source, {
    transport: 'tcp',
    address: '203.0.113.7',
    port: 40000,
    proxy: {
      peer: { address: '127.0.0.1', port: client.localPort },
      destination: { address: '198.51.100.10', port: 5554 },
    },
  });
  t.is(message.topVia().received, '203.0.113.7');
  t.is(started.layer.counters.proxyHeadersAccepted, 1);
});

test('behind HAProxy: IPv6 clients, v1 headers, headers cut in pieces and TLVs are read; LOCAL keeps the own address', async (t) => {
  const started = await start(t);
  const port = started.port('tcp', true);
  const v6 = await tcp(t, port);
  v6.write(
    Buffer.concat([
      proxyV2({ ...CLIENT, source: '2001:db8::7', destination: '2001:db8::10' }, [
        [0x02, Buffer.from('sip.example.net')],
      ]),
      optionsRequest('v6', 'TCP'),
    ]),
  );
  await v6.next('the 200 for IPv6');
  t.like((await delivered(started, 'v6')).source, { address: '2001:db8::7', port: 40000 });
  const v1 = await tcp(t, port);
  v1.write(Buffer.concat([proxyV1(CLIENT), optionsRequest('v1', 'TCP')]));
  await v1.next('the 200 for v1');
  t.like((await delivered(started, 'v1')).source, { address: '203.0.113.7', port: 40000 });
  const pieces = await tcp(t, port);
  const bytes = Buffer.concat([proxyV2({ ...CLIENT, sourcePort: 40001 }), optionsRequest('pieces', 'TCP')]);
  for (let i = 0; i < 40; i++) {
    pieces.write(bytes.subarray(i, i + 1));
    await new Promise((resolve) => setImmediate(resolve));
  }
  pieces.write(bytes.subarray(40));
  await pieces.next('the 200 for a header in pieces');
  t.like((await delivered(started, 'pieces')).source, { address: '203.0.113.7', port: 40001 });
  const local = await tcp(t, port);
  local.write(Buffer.concat([proxyV2Local(), optionsRequest('local', 'TCP')]));
  await local.next('the 200 for a health check');
  const { source } = await delivered(started, 'local');
  t.like(source, { address: '127.0.0.1', port: local.localPort });
  t.is(source.proxy, undefined);
});

test('behind HAProxy: a connection without a header, or with a broken one, is closed and counted', async (t) => {
  const started = await start(t, { handshakeTimeoutMs: 300 });
  const port = started.port('tcp', true);
  const plain = await tcp(t, port);
  plain.write(optionsRequest('no-header', 'TCP'));
  await plain.waitClosed('the connection without a header to be closed');
  const broken = await tcp(t, port);
  const header = proxyV2(CLIENT);
  header[12] = 0x31; // version 3
  broken.write(header);
  await broken.waitClosed('the connection with a version 3 header to be closed');
  const silent = await tcp(t, port);
  await silent.waitClosed('a silent connection to be closed after handshakeTimeoutMs');
  t.is(started.layer.counters.proxyHeadersMissing, 2);
  t.is(started.layer.counters.handshakeTimeouts, 1);
  t.falsy(started.received.find((r) => r.message.callId() === 'no-header'));
});

test('a PROXY header on a listener not behind HAProxy is refused (v2 and v1, TCP and TLS) and counted', async (t) => {
  const started = await start(t);
  const v2 = await tcp(t, started.port('tcp'));
  v2.write(Buffer.concat([proxyV2(CLIENT), optionsRequest('spoofed-v2', 'TCP')]));
  await v2.waitClosed('the v2 header to be refused');
  const v1 = await tcp(t, started.port('tcp'));
  v1.write(Buffer.concat([proxyV1(CLIENT), optionsRequest('spoofed-v1', 'TCP')]));
  await v1.waitClosed('the v1 header to be refused');
  const overTls = await tcp(t, started.port('tls'));
  overTls.write(proxyV2(CLIENT));
  await overTls.waitClosed('the header before TLS to be refused');
  t.is(started.layer.counters.proxyHeadersRefused, 3);
  t.is(started.received.length, 0);
  const honest = await tcp(t, started.port('tcp'));
  honest.write(optionsRequest('honest', 'TCP'));
  t.is(((await honest.next('the 200')) as Reply).status, 200);
});

/** Connects, writes a PROXY header, then does the TLS handshake on the same connection, as HAProxy would. */
function tlsAfterHeader(port: number, header: Buffer): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const raw = connect({ host: '127.0.0.1', port }, () => {
      raw.write(header);
      const socket = connectTls({ socket: raw, ca: pki.ca, servername: 'localhost' });
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });
    raw.once('error', reject);
  });
}

test('TLS behind HAProxy: the header comes before the handshake (send-proxy-v2 in TCP mode)', async (t) => {
  const started = await start(t);
  const socket = await tlsAfterHeader(started.port('tls', true), proxyV2(CLIENT));
  const client = TcpClient.wrap(socket);
  t.teardown(() => client.destroy());
  client.write(optionsRequest('v2-tls', 'TLS'));
  const reply = (await client.next('the 200 over TLS')) as Reply;
  t.regex(reply.text, /;rport=40000;received=203\.0\.113\.7\r\n/);
  t.like((await delivered(started, 'v2-tls')).source, { transport: 'tls', address: '203.0.113.7', port: 40000 });
});

test('WSS behind HAProxy: header, TLS, upgrade; the flow belongs to the client named by the header', async (t) => {
  const started = await start(t);
  const client = await WsTestClient.open({
    host: '127.0.0.1',
    port: started.port('wss', true),
    tls: { ca: pki.ca, servername: 'localhost' },
    prefix: proxyV2({ ...CLIENT, source: '2001:db8::99', destination: '2001:db8::10', destinationPort: 443 }),
  });
  t.teardown(() => client.destroy());
  t.is(client.status, 101);
  client.sendText(optionsRequest('v2-wss', 'WSS', 'abc.invalid'));
  const reply = await client.nextReply('the 200 over WSS');
  t.regex(reply.text, /;rport=40000;received=2001:db8::99\r\n/);
  t.like((await delivered(started, 'v2-wss')).source, { transport: 'wss', address: '2001:db8::99' });
});

test('per-source connection limits count the client from the header, not HAProxy', async (t) => {
  const started = await start(t, { tcpConnectionsPerSource: 1 });
  const port = started.port('tcp', true);
  const first = await tcp(t, port);
  first.write(Buffer.concat([proxyV2(CLIENT), optionsRequest('first', 'TCP')]));
  await first.next('the 200 for the first connection of the client');
  const second = await tcp(t, port);
  second.write(Buffer.concat([proxyV2({ ...CLIENT, sourcePort: 40002 }), optionsRequest('second', 'TCP')]));
  await second.waitClosed('a second connection of the same client to be refused');
  const other = await tcp(t, port);
  other.write(Buffer.concat([proxyV2({ ...CLIENT, source: '203.0.113.8' }), optionsRequest('other', 'TCP')]));
  t.is(((await other.next('the 200 for another client through the same HAProxy')) as Reply).status, 200);
  t.is(started.layer.counters.tcpConnectionsRefused, 1);
  first.destroy();
  await waitFor('the first flow to close', () => started.layer.counters.tcpConnectionsOpen === 1);
  const again = await tcp(t, port);
  again.write(Buffer.concat([proxyV2({ ...CLIENT, sourcePort: 40003 }), optionsRequest('again', 'TCP')]));
  t.is(((await again.next('the 200 once the slot is free again')) as Reply).status, 200);
});
