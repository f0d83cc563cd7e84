import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import test from 'ava';
import { TcpClient, optionsToProxy, type Reply } from '../fixtures/sip/clients.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { createSipTestPki, type SipTestPki } from '../fixtures/sip/tls-certs.js';
import { waitFor } from '../helpers/wait.js';

// A renewed certificate without a restart: stg-sip-proxy reads its TLS files again on SIGHUP. New handshakes get
// the new certificate, open connections stay; files it cannot use leave the previous certificate in service.

let pki: SipTestPki;
let dir: string;
let proxy: ProxyProcess;
const certFile = () => join(dir, 'edge.pem');
const keyFile = () => join(dir, 'edge.key');

test.before(async () => {
  pki = createSipTestPki();
  dir = mkdtempSync(join(tmpdir(), 'stg-sip-reload-'));
  copyFileSync(pki.ecdsa.certFile, certFile());
  copyFileSync(pki.ecdsa.keyFile, keyFile());
  const tls = { certFile: certFile(), keyFile: keyFile() };
  proxy = await ProxyProcess.start({
    listen: [
      { transport: 'tls', address: '127.0.0.1', port: 0, tls },
      { transport: 'wss', address: '127.0.0.1', port: 0, tls },
    ],
    limits: { exemptSources: ['127.0.0.1'] },
  });
});

test.after.always(async () => {
  await proxy?.stop();
  pki?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function tlsConnect(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, ca: pki.ca, servername: 'localhost' });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

const keyType = (socket: TLSSocket) => socket.getPeerX509Certificate()?.publicKey.asymmetricKeyType;

async function options(client: TcpClient, callId: string): Promise<number> {
  client.write(optionsToProxy(callId, 'TLS', { address: '127.0.0.1', port: proxy.listener('tls').port }));
  return ((await client.next(`the answer to ${callId}`)) as Reply).status;
}

/** Sends SIGHUP and waits for one log line per TLS listener whose message matches `pattern`, after those seen. */
async function reload(pattern: RegExp): Promise<Record<string, unknown>[]> {
  const before = proxy.logLines().length;
  process.kill(proxy.pid, 'SIGHUP');
  return waitFor(
    `two log lines matching ${pattern}`,
    () => {
      const lines = proxy.logLines().slice(before);
      const matching = lines.filter((line) => pattern.test(String(line['msg'])));
      return matching.length === 2 ? matching : undefined;
    },
    { describe: () => JSON.stringify(proxy.logLines().slice(before)) },
  );
}

test.serial('SIGHUP: new handshakes get the renewed certificate, open connections stay', async (t) => {
  const old = TcpClient.wrap(await tlsConnect(proxy.listener('tls').port));
  t.teardown(() => old.destroy());
  t.is(await options(old, 'before'), 200);

  copyFileSync(pki.rsa.certFile, certFile());
  copyFileSync(pki.rsa.keyFile, keyFile());
  const lines = await reload(/^TLS certificate reloaded on (tls|wss) 127\.0\.0\.1:\d+: .*edge\.pem, valid until /);
  t.deepEqual(lines.map((line) => line['level']).sort(), [30, 30]);

  const renewed = await tlsConnect(proxy.listener('tls').port);
  t.is(keyType(renewed), 'rsa', 'the TLS listener serves the new certificate');
  renewed.destroy();
  const websocket = await tlsConnect(proxy.listener('wss').port);
  t.is(keyType(websocket), 'rsa', 'the WSS listener too');
  websocket.destroy();
  t.is(await options(old, 'after'), 200, 'the connection opened before the reload still carries SIP');
});

test.serial('SIGHUP with a key that is no key: logged with the file, the previous certificate stays', async (t) => {
  writeFileSync(keyFile(), 'not a key\n');
  const lines = await reload(
    /^TLS certificate of (tls|wss) .* not reloaded: keyFile .*edge\.key: expected a PEM private key/,
  );
  t.deepEqual(lines.map((line) => line['level']).sort(), [50, 50]);
  const still = await tlsConnect(proxy.listener('tls').port);
  t.is(keyType(still), 'rsa', 'still the certificate of the last good reload');
  const client = TcpClient.wrap(still);
  t.teardown(() => client.destroy());
  t.is(await options(client, 'still'), 200);
  t.true(proxy.running);
});
