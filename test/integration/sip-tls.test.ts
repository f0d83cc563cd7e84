import { connect, type Socket } from 'node:net';
import {
  connect as connectTls,
  createServer as createTlsServer,
  type ConnectionOptions,
  type TLSSocket,
} from 'node:tls';
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import type { SipMessage, SipRequest } from '../../src/sip/message/index.js';
import {
  SipTransportError,
  SipTransportLayer,
  type ListenSpec,
  type MessageSource,
  type TlsClientOptions,
  type TransportLimits,
} from '../../src/sip/transport/index.js';
import { TcpClient, optionsRequest, type Reply } from '../fixtures/sip/clients.js';
import { createSipTestPki, type SipTestPki } from '../fixtures/sip/tls-certs.js';
import { waitFor } from '../helpers/wait.js';

// SIP over TLS in-process, over real loopback sockets: ECDSA and RSA certificates, session resumption, client
// certificates, handshakes that fail (without harm), TLS connections we open, and limits shared with TCP.

const quiet = pino({ level: 'silent' });
let pki: SipTestPki;

test.before(() => {
  pki = createSipTestPki();
});

test.after.always(() => pki?.remove());

interface Started {
  layer: SipTransportLayer;
  received: { message: SipMessage; source: MessageSource }[];
  port(transport: ListenSpec['transport']): number;
}

async function start(
  t: ExecutionContext,
  listen: ListenSpec[],
  limits: Partial<TransportLimits> = {},
  tlsClient?: TlsClientOptions,
): Promise<Started> {
  const layer = await SipTransportLayer.start({ listen, limits, log: quiet, tlsClient });
  t.teardown(() => layer.close());
  const received: Started['received'] = [];
  layer.onMessage((message, source) => {
    received.push({ message, source });
    if ((message as SipRequest).method === 'OPTIONS') layer.reply(message as SipRequest, source, 200).catch(() => {});
  });
  const port = (transport: ListenSpec['transport']) => layer.listeners().find((l) => l.transport === transport)!.port;
  return { layer, received, port };
}

function tlsListener(files: { certFile: string; keyFile: string }, caFile?: string): ListenSpec {
  return { transport: 'tls', address: '127.0.0.1', port: 0, tls: { ...files, ...(caFile ? { caFile } : {}) } };
}

/** A TLS client trusting the test CA; resolves once the handshake is done. */
function tlsConnect(port: number, options: ConnectionOptions = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, ca: pki.ca, servername: 'localhost', ...options });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function delivered(started: Started, callId: string) {
  return waitFor(`message ${callId} delivered`, () => started.received.find((r) => r.message.callId() === callId), {
    timeoutMs: 5_000,
    everyMs: 5,
  });
}

for (const kind of ['ecdsa', 'rsa'] as const) {
  test(`TLS with an ${kind.toUpperCase()} certificate: OPTIONS answered on the flow; the source is tls with an id`, async (t) => {
    const started = await start(t, [tlsListener(pki[kind])]);
    const socket = await tlsConnect(started.port('tls'));
    const client = TcpClient.wrap(socket);
    t.teardown(() => client.destroy());
    t.is(socket.getPeerX509Certificate()?.publicKey.asymmetricKeyType, kind === 'ecdsa' ? 'ec' : 'rsa');
    client.write(optionsRequest(`tls-${kind}`, 'TLS'));
    const reply = (await client.next('the 200')) as Reply;
    t.deepEqual([reply.status, reply.callId], [200, `tls-${kind}`]);
    const { source, message } = await delivered(started, `tls-${kind}`);
    t.like(source, { transport: 'tls', address: '127.0.0.1', port: socket.localPort });
    t.regex(source.connectionId ?? '', /^[0-9a-f]{16}$/);
    t.true(started.layer.hasConnection(source.connectionId!));
    t.is(message.topVia().rport, socket.localPort);
    t.is(started.layer.counters.tlsConnectionsOpen, 1);
  });
}

test('TLS: a CRLFCRLF ping gets a CRLF pong (RFC 5626); closing the flow is reported with its id', async (t) => {
  const started = await start(t, [tlsListener(pki.ecdsa)]);
  const closed: string[] = [];
  started.layer.onConnectionClosed((id) => closed.push(id));
  const client = TcpClient.wrap(await tlsConnect(started.port('tls')));
  client.write(optionsRequest('tls-ping', 'TLS'));
  await client.next('the 200');
  client.write(Buffer.from('\r\n\r\n'));
  t.is(await client.next('the pong'), 'pong');
  t.is(started.layer.counters.keepAlives, 1);
  const { source } = await delivered(started, 'tls-ping');
  client.destroy();
  await waitFor('the close to be reported', () => closed.includes(source.connectionId!));
  t.false(started.layer.hasConnection(source.connectionId!));
  t.is(started.layer.counters.tlsConnectionsOpen, 0);
});

test('TLS: a client reconnecting with its session ticket resumes without a full handshake', async (t) => {
  const started = await start(t, [tlsListener(pki.ecdsa)]);
  const first = await tlsConnect(started.port('tls'));
  const session = await new Promise<Buffer>((resolve) => first.once('session', resolve));
  first.destroy();
  const second = await tlsConnect(started.port('tls'), { session });
  t.teardown(() => second.destroy());
  t.true(second.isSessionReused());
  await waitFor('the resumption to be counted', () => started.layer.counters.tlsSessionsResumed === 1);
  const client = TcpClient.wrap(second);
  client.write(optionsRequest('tls-resumed', 'TLS'));
  t.is(((await client.next('the 200')) as Reply).status, 200);
});

test('TLS: failed handshakes (plain SIP, noise, an old protocol, a client refusing our certificate) harm nothing', async (t) => {
  const started = await start(t, [tlsListener(pki.rsa)], { handshakeTimeoutMs: 2_000 });
  const port = started.port('tls');
  const plain = await TcpClient.connect('127.0.0.1', port);
  plain.write(optionsRequest('plain-on-tls', 'TCP'));
  await plain.waitClosed('plain SIP on the TLS port to be closed');
  const noise = await TcpClient.connect('127.0.0.1', port);
  noise.write(Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, ...Array.from({ length: 64 }, (_, i) => i)]));
  await noise.waitClosed('a broken client hello to be closed');
  await t.throwsAsync(tlsConnect(port, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }));
  await t.throwsAsync(tlsConnect(port, { ca: pki.stranger.cert }));
  await waitFor('four failed handshakes', () => started.layer.counters.tlsHandshakesFailed >= 4, {
    describe: () => JSON.stringify(started.layer.counters.snapshot()),
  });
  const client = TcpClient.wrap(await tlsConnect(port));
  t.teardown(() => client.destroy());
  client.write(optionsRequest('tls-after-failures', 'TLS'));
  t.is(((await client.next('the 200')) as Reply).status, 200);
  t.is(started.layer.counters.tlsConnectionsOpen, 1);
});

test('TLS: a connection that never finishes its handshake is closed after handshakeTimeoutMs', async (t) => {
  const started = await start(t, [tlsListener(pki.ecdsa)], { handshakeTimeoutMs: 300 });
  const silent = await TcpClient.connect('127.0.0.1', started.port('tls'));
  t.teardown(() => silent.destroy());
  silent.write(Buffer.from([0x16, 0x03]));
  await silent.waitClosed('the stalled handshake to be cut');
  t.true(started.layer.counters.handshakeTimeouts + started.layer.counters.tlsHandshakesFailed >= 1);
});

test('TLS with a client CA: no certificate or a stranger one is refused; one from the CA is served', async (t) => {
  const started = await start(t, [tlsListener(pki.ecdsa, pki.caFile)]);
  const port = started.port('tls');
  const refused = async (options: ConnectionOptions) => {
    // TLS 1.3 lets the client finish first: the refusal arrives as an alert or a close right after.
    const socket = await tlsConnect(port, options).catch(() => undefined);
    if (!socket) return;
    const client = TcpClient.wrap(socket);
    client.write(optionsRequest('should-not-pass', 'TLS'));
    await client.waitClosed('the server to refuse the client');
  };
  await refused({});
  await refused({ cert: pki.stranger.cert, key: pki.stranger.key });
  const client = TcpClient.wrap(await tlsConnect(port, { cert: pki.client.cert, key: pki.client.key }));
  t.teardown(() => client.destroy());
  client.write(optionsRequest('tls-mutual', 'TLS'));
  t.is(((await client.next('the 200')) as Reply).status, 200);
  t.falsy(started.received.find((r) => r.message.callId() === 'should-not-pass'));
  t.true(started.layer.counters.tlsHandshakesFailed >= 2);
});

test('outgoing TLS: opened on demand with SNI and the certificate checked against the server name, then reused', async (t) => {
  const server = createTlsServer({ cert: pki.ecdsa.cert, key: pki.ecdsa.key });
  const peers: TLSSocket[] = [];
  const names: (string | false | null)[] = [];
  server.on('secureConnection', (socket: TLSSocket) => {
    peers.push(socket);
    names.push(socket.servername);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    peers.forEach((peer) => peer.destroy());
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const started = await start(t, [{ transport: 'udp', address: '127.0.0.1', port: 0 }], {}, { caFile: pki.caFile });
  let bytes = '';
  const destination = { transport: 'tls' as const, address: '127.0.0.1', port, serverName: 'localhost' };
  await started.layer.send(optionsRequest('out-1', 'TLS'), destination);
  await waitFor('the server to accept', () => peers[0]);
  peers[0]!.on('data', (chunk: Buffer) => (bytes += chunk.toString()));
  await started.layer.send(optionsRequest('out-2', 'TLS'), destination);
  await waitFor('both requests to arrive', () => bytes.includes('out-2'));
  t.is(peers.length, 1, 'one connection, reused');
  t.deepEqual(names, ['localhost']);
  // What the server sends back on that connection arrives like anything else, as tls.
  peers[0]!.write(optionsRequest('back', 'TLS'));
  const { source } = await delivered(started, 'back');
  t.like(source, { transport: 'tls', address: '127.0.0.1', port });
  const wrongName = started.layer.send(optionsRequest('out-3', 'TLS'), {
    ...destination,
    serverName: 'sip.example.net',
  });
  const error = await t.throwsAsync(wrongName, { instanceOf: SipTransportError });
  t.is(error?.failure, 'connect-failed');
  t.regex(error?.message ?? '', /sip\.example\.net|altnames/);
});

test('outgoing TLS: a server whose certificate nobody trusts is refused unless verifyServer is false', async (t) => {
  const server = createTlsServer({ cert: pki.stranger.cert, key: pki.stranger.key });
  const sockets: Socket[] = [];
  server.on('secureConnection', (socket: Socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    sockets.forEach((socket) => socket.destroy());
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const udp: ListenSpec[] = [{ transport: 'udp', address: '127.0.0.1', port: 0 }];
  const strict = await start(t, udp, {}, { caFile: pki.caFile });
  const destination = { transport: 'tls' as const, address: '127.0.0.1', port };
  const error = await t.throwsAsync(strict.layer.send(optionsRequest('strict', 'TLS'), destination));
  t.is((error as SipTransportError).failure, 'connect-failed');
  const lab = await start(t, udp, {}, { verifyServer: false });
  await lab.layer.send(optionsRequest('lab', 'TLS'), destination);
  await waitFor('the lab connection to be accepted', () => sockets.length === 1);
  t.pass();
});

test('connections per source count TCP and TLS together; the refused one is closed and counted', async (t) => {
  const started = await start(t, [tlsListener(pki.ecdsa), { transport: 'tcp', address: '127.0.0.1', port: 0 }], {
    tcpConnectionsPerSource: 2,
  });
  const tcp = await TcpClient.connect('127.0.0.1', started.port('tcp'), '127.0.0.2');
  t.teardown(() => tcp.destroy());
  tcp.write(optionsRequest('limit-tcp', 'TCP'));
  await tcp.next('the 200 over TCP');
  const first = TcpClient.wrap(
    await tlsConnect(started.port('tls'), { localAddress: '127.0.0.2' } as ConnectionOptions),
  );
  t.teardown(() => first.destroy());
  first.write(optionsRequest('limit-tls', 'TLS'));
  await first.next('the 200 over TLS');
  const third = connect({ host: '127.0.0.1', port: started.port('tls'), localAddress: '127.0.0.2' });
  third.on('error', () => undefined);
  t.teardown(() => third.destroy());
  await waitFor('the third connection to be closed', () => third.destroyed || third.readyState === 'closed', {
    describe: () => JSON.stringify(started.layer.counters.snapshot()),
  });
  t.is(started.layer.counters.tcpConnectionsRefused, 1);
  const other = TcpClient.wrap(
    await tlsConnect(started.port('tls'), { localAddress: '127.0.0.3' } as ConnectionOptions),
  );
  t.teardown(() => other.destroy());
  other.write(optionsRequest('limit-other', 'TLS'));
  t.is(((await other.next('the 200 for another source')) as Reply).status, 200);
  // A TLS flow that closes gives its slot back.
  first.destroy();
  await waitFor('the TLS flow to close', () => started.layer.counters.tlsConnectionsOpen === 1);
  const again = TcpClient.wrap(
    await tlsConnect(started.port('tls'), { localAddress: '127.0.0.2' } as ConnectionOptions),
  );
  t.teardown(() => again.destroy());
  again.write(optionsRequest('limit-again', 'TLS'));
  t.is(((await again.next('the 200 once the slot is free')) as Reply).status, 200);
});
