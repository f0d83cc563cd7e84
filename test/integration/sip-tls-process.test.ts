import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import test from 'ava';
import { TcpClient, optionsRequest, optionsToProxy, type Reply } from '../fixtures/sip/clients.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { createSipTestPki, type SipTestPki } from '../fixtures/sip/tls-certs.js';

// A running stg-sip-proxy over TLS, with an ECDSA and an RSA certificate, IPv4 and IPv6. SIPp from Debian is built
// without TLS ("To use a TLS transport you must compile SIPp with OpenSSL"), so the client is Node's TLS socket with
// the test's own SIP reader. Failed handshakes of every kind leave the process serving.

let pki: SipTestPki;
let proxy: ProxyProcess;

test.before(async () => {
  pki = createSipTestPki();
  const files = (kind: 'ecdsa' | 'rsa') => ({ certFile: pki[kind].certFile, keyFile: pki[kind].keyFile });
  proxy = await ProxyProcess.start({
    listen: [
      { transport: 'tls', address: '127.0.0.1', port: 0, tls: files('ecdsa') },
      { transport: 'tls', address: '::1', port: 0, tls: files('rsa') },
    ],
    limits: { exemptSources: ['127.0.0.1', '::1'], handshakeTimeoutMs: 400 },
  });
});

test.after.always(async () => {
  await proxy?.stop();
  pki?.remove();
});

function tlsConnect(host: string, port: number, options: ConnectionOptions = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host, port, ca: pki.ca, servername: 'localhost', ...options });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function options(host: string, port: number, callId: string): Promise<{ reply: Reply; keyType?: string }> {
  const socket = await tlsConnect(host, port);
  const keyType = socket.getPeerX509Certificate()?.publicKey.asymmetricKeyType;
  const client = TcpClient.wrap(socket);
  client.write(optionsToProxy(callId, 'TLS', { address: host, port }));
  const reply = (await client.next(`the answer to ${callId}`)) as Reply;
  client.destroy();
  return { reply, ...(keyType ? { keyType } : {}) };
}

test.serial('OPTIONS over TLS with an ECDSA certificate (IPv4) and an RSA one (IPv6): 200 on the flow', async (t) => {
  const v4 = await options('127.0.0.1', proxy.listener('tls', 4).port, 'tls-v4');
  t.deepEqual([v4.reply.status, v4.reply.callId], [200, 'tls-v4']);
  t.is(v4.keyType, 'ec');
  const v6 = await options('::1', proxy.listener('tls', 6).port, 'tls-v6');
  t.deepEqual([v6.reply.status, v6.reply.callId], [200, 'tls-v6']);
  t.is(v6.keyType, 'rsa');
  t.regex(v6.reply.text, /;rport=\d+;received=::1\r\n/);
});

test.serial(
  'bad handshakes (noise, plain SIP, a stalled hello, a distrustful client) leave the process serving',
  async (t) => {
    const port = proxy.listener('tls', 4).port;
    const noise = await TcpClient.connect('127.0.0.1', port);
    noise.write(Buffer.from('\x16\x03\x01\x00\x05hello'.repeat(20)));
    const plain = await TcpClient.connect('127.0.0.1', port);
    plain.write(optionsRequest('plain', 'TCP'));
    const stalled = await TcpClient.connect('127.0.0.1', port);
    stalled.write(Buffer.from([0x16, 0x03, 0x01]));
    await t.throwsAsync(tlsConnect('127.0.0.1', port, { ca: pki.stranger.cert }));
    for (const client of [noise, plain, stalled]) await client.waitClosed('the bad handshake to be closed');
    t.true(proxy.running);
    const after = await options('127.0.0.1', port, 'after');
    t.is(after.reply.status, 200);
  },
);

test.serial('SIGTERM: a clean exit, with the TLS counts in its last line', async (t) => {
  const stopped = await proxy.stop();
  t.deepEqual(stopped, { code: 0, signal: null });
  const last = proxy.logLines().find((line) => typeof line['counters'] === 'object');
  const counters = last?.['counters'] as Record<string, number>;
  t.true(counters['tlsHandshakesFailed']! >= 4, JSON.stringify(counters));
  t.is(counters['handlerErrors'], 0);
  t.is(counters['delivered'], 3);
});
