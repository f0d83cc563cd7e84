import { connect } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import test from 'ava';
import { TcpClient, optionsToProxy, type Reply } from '../fixtures/sip/clients.js';
import { proxyV2, proxyV2Local } from '../fixtures/sip/proxy-header.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { createSipTestPki, type SipTestPki } from '../fixtures/sip/tls-certs.js';

// A running stg-sip-proxy with listeners behind HAProxy: a test sender plays HAProxy's send-proxy-v2 (over TCP, and
// before a TLS handshake as in TCP mode), and the client it names shows in the Via received/rport of the answer. A
// header on a listener not marked for it is refused; a marked listener closes a connection without one.

let pki: SipTestPki;
let proxy: ProxyProcess;
const CLIENT = { source: '203.0.113.7', sourcePort: 40000, destination: '198.51.100.10', destinationPort: 5554 };

test.before(async () => {
  pki = createSipTestPki();
  proxy = await ProxyProcess.start({
    listen: [
      { transport: 'tcp', address: '127.0.0.1', port: 0, behindProxy: true },
      {
        transport: 'tls',
        address: '127.0.0.1',
        port: 0,
        behindProxy: true,
        tls: { certFile: pki.ecdsa.certFile, keyFile: pki.ecdsa.keyFile },
      },
      { transport: 'tcp', address: '127.0.0.1', port: 0 },
    ],
  });
});

test.after.always(async () => {
  await proxy?.stop();
  pki?.remove();
});

test.serial('TCP: the PROXY v2 client is the Via received/rport of the answer', async (t) => {
  const listener = proxy.listener('tcp', 4, true);
  const client = await TcpClient.connect('127.0.0.1', listener.port);
  t.teardown(() => client.destroy());
  client.write(Buffer.concat([proxyV2(CLIENT), optionsToProxy('proxied-tcp', 'TCP', listener)]));
  const reply = (await client.next('the answer')) as Reply;
  t.is(reply.status, 200);
  t.regex(reply.text, /Via: SIP\/2\.0\/TCP 192\.0\.2\.99;branch=[^\r]*;rport=40000;received=203\.0\.113\.7\r\n/);
  // HAProxy's health checks send LOCAL: served with the connection's own address.
  const check = await TcpClient.connect('127.0.0.1', listener.port);
  t.teardown(() => check.destroy());
  check.write(Buffer.concat([proxyV2Local(), optionsToProxy('health', 'TCP', listener)]));
  const health = (await check.next('the answer to the health check')) as Reply;
  t.regex(health.text, new RegExp(`;rport=${check.localPort};received=127\\.0\\.0\\.1\\r\\n`));
});

test.serial('TLS in TCP mode: the header, then the handshake; the client shows in the answer', async (t) => {
  const listener = proxy.listener('tls', 4, true);
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const raw = connect({ host: '127.0.0.1', port: listener.port }, () => {
      raw.write(proxyV2({ ...CLIENT, source: '2001:db8::7', destination: '2001:db8::10' }));
      const secure = connectTls({ socket: raw, ca: pki.ca, servername: 'localhost' });
      secure.once('secureConnect', () => resolve(secure));
      secure.once('error', reject);
    });
    raw.once('error', reject);
  });
  const client = TcpClient.wrap(socket);
  t.teardown(() => client.destroy());
  client.write(optionsToProxy('proxied-tls', 'TLS', listener));
  const reply = (await client.next('the answer over TLS')) as Reply;
  t.is(reply.status, 200);
  t.regex(reply.text, /;rport=40000;received=2001:db8::7\r\n/);
});

test.serial('refused: a header where none is expected, no header where one is required', async (t) => {
  const spoof = await TcpClient.connect('127.0.0.1', proxy.listener('tcp').port);
  t.teardown(() => spoof.destroy());
  spoof.write(Buffer.concat([proxyV2(CLIENT), optionsToProxy('spoofed', 'TCP', proxy.listener('tcp'))]));
  await spoof.waitClosed('the spoofing connection to be closed');
  const bare = await TcpClient.connect('127.0.0.1', proxy.listener('tcp', 4, true).port);
  t.teardown(() => bare.destroy());
  bare.write(optionsToProxy('bare', 'TCP', proxy.listener('tcp', 4, true)));
  await bare.waitClosed('the connection without a header to be closed');
  t.is(spoof.unread + bare.unread, 0, 'neither got an answer');
  t.true(proxy.running);
});

test.serial('SIGTERM: a clean exit, with the PROXY header counts in its last line', async (t) => {
  const stopped = await proxy.stop();
  t.deepEqual(stopped, { code: 0, signal: null });
  const last = proxy.logLines().find((line) => typeof line['counters'] === 'object');
  const counters = last?.['counters'] as Record<string, number>;
  t.like(counters, { proxyHeadersAccepted: 3, proxyHeadersRefused: 1, proxyHeadersMissing: 1, handlerErrors: 0 });
  const refusal = proxy
    .logLines()
    .find((line) => String(line['msg']).includes('a PROXY header on a listener not behind HAProxy'));
  t.truthy(refusal, 'the refusal is logged with the peer');
});
