import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import test from 'ava';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { TcpClient, optionsToProxy, type Reply } from '../fixtures/sip/clients.js';
import { ProxyProcess, SIP_PROXY_MAIN } from '../fixtures/sip/proxy-process.js';
import { createSipTestPki, type SipTestPki } from '../fixtures/sip/tls-certs.js';

// Issue 6: "certificates by path from the node file". stg-sip-proxy --node-file takes the node's id and its
// sipProxy.tls for every TLS and WSS listener written without a tls block (paths relative to the node file, as every
// path of the node file is); a listener's own block still wins.

let pki: SipTestPki;
let workDir: string;

test.before(() => {
  pki = createSipTestPki();
  workDir = mkdtempSync(join(tmpdir(), 'stg-sip-node-file-'));
  writeFileSync(join(workDir, 'cluster.yaml'), stringify({ cluster: 'edge', service: { name: 'sips.example.test' } }));
});

test.after.always(() => {
  pki?.remove();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** A node file in workDir whose sipProxy.tls names `tls` (relative paths: they resolve against the node file). */
function nodeFile(name: string, tls: Record<string, string> | undefined): string {
  const path = join(workDir, name);
  writeFileSync(
    path,
    stringify({
      cluster: 'edge',
      node: { id: 'stg7', address: '127.0.0.1' },
      lockMembers: [{ host: '127.0.0.1', port: 1 }],
      dataStore: { host: '127.0.0.1', port: 1 },
      paths: { stateDir: 'state' },
      definitionFile: 'cluster.yaml',
      ...(tls ? { sipProxy: { tls } } : {}),
    }),
  );
  return path;
}

const fromWorkDir = (file: string) => relative(workDir, file);

function proxyConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listen: [
      { transport: 'tls', address: '127.0.0.1', port: 0 },
      { transport: 'wss', address: '127.0.0.1', port: 0 },
      // Its own certificate wins over the node file's.
      { transport: 'tls', address: '::1', port: 0, tls: { certFile: pki.rsa.certFile, keyFile: pki.rsa.keyFile } },
    ],
    limits: { exemptSources: ['127.0.0.1', '::1'] },
    ...extra,
  };
}

function tlsConnect(host: string, port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host, port, ca: pki.ca, servername: 'localhost' });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

test.serial('TLS and WSS listeners without a tls block serve the node file certificate; the node id too', async (t) => {
  const node = nodeFile('node.yaml', {
    certFile: fromWorkDir(pki.ecdsa.certFile),
    keyFile: fromWorkDir(pki.ecdsa.keyFile),
  });
  const proxy = await ProxyProcess.start(proxyConfig(), ['--node-file', node]);
  t.teardown(() => proxy.stop());

  const v4 = await tlsConnect('127.0.0.1', proxy.listener('tls', 4).port);
  t.is(v4.getPeerX509Certificate()?.publicKey.asymmetricKeyType, 'ec', 'the node file certificate (ECDSA)');
  const client = TcpClient.wrap(v4);
  client.write(optionsToProxy('node-cert', 'TLS', { address: '127.0.0.1', port: proxy.listener('tls', 4).port }));
  const reply = (await client.next('the answer to node-cert')) as Reply;
  client.destroy();
  t.is(reply.status, 200);

  const wss = await tlsConnect('127.0.0.1', proxy.listener('wss', 4).port);
  t.is(wss.getPeerX509Certificate()?.publicKey.asymmetricKeyType, 'ec', 'the WSS listener too');
  wss.destroy();
  const own = await tlsConnect('::1', proxy.listener('tls', 6).port);
  t.is(own.getPeerX509Certificate()?.publicKey.asymmetricKeyType, 'rsa', 'a listener with its own block keeps it');
  own.destroy();

  const ready = proxy.logLines().find((line) => line['msg'] === 'stg-sip-proxy ready');
  t.is(ready?.['node'], 'stg7', 'the node id of the node file is on every log line');
});

test.serial('--check-config with --node-file shows where each certificate comes from', async (t) => {
  const node = nodeFile('node.yaml', {
    certFile: fromWorkDir(pki.ecdsa.certFile),
    keyFile: fromWorkDir(pki.ecdsa.keyFile),
  });
  const config = join(workDir, 'proxy.yaml');
  writeFileSync(config, stringify(proxyConfig()));
  const check = await execa(process.execPath, [SIP_PROXY_MAIN, '--check-config', config, '--node-file', node], {
    reject: false,
    timeout: 10_000,
  });
  t.is(check.exitCode, 0, String(check.stderr));
  t.regex(check.stdout, new RegExp(`node stg7 \\(node file ${node}\\)`));
  t.regex(
    check.stdout,
    new RegExp(`listen tls 127\\.0\\.0\\.1 port 0, certificate ${pki.ecdsa.certFile} \\(node file\\)`),
  );
  t.regex(
    check.stdout,
    new RegExp(`listen wss 127\\.0\\.0\\.1 port 0, certificate ${pki.ecdsa.certFile} \\(node file\\)`),
  );
  t.regex(check.stdout, new RegExp(`listen tls ::1 port 0, certificate ${pki.rsa.certFile}$`, 'm'));
});

/** Runs the proxy to its refusal: exit 78, nothing started. */
async function refused(args: string[]) {
  const run = await execa(process.execPath, [SIP_PROXY_MAIN, ...args], { reject: false, timeout: 10_000 });
  return { code: run.exitCode, stderr: String(run.stderr) };
}

test.serial(
  'refused, naming the field: no certificate anywhere, a node file key that is missing, another node id',
  async (t) => {
    const config = join(workDir, 'proxy.yaml');
    writeFileSync(config, stringify(proxyConfig()));
    const bare = await refused(['--config', config]);
    t.is(bare.code, 78, bare.stderr);
    t.regex(
      bare.stderr,
      /listen\[0\]\.tls.*\{ certFile, keyFile \} for a tls listener, or sipProxy\.tls in the --node-file/,
    );
    t.regex(bare.stderr, /listen\[1\]\.tls.*for a wss listener/);

    const noTls = await refused(['--config', config, '--node-file', nodeFile('no-tls.yaml', undefined)]);
    t.is(noTls.code, 78, noTls.stderr);
    t.regex(noTls.stderr, /listen\[0\]\.tls/, 'a node file without sipProxy.tls gives nothing');

    const missingKey = nodeFile('missing-key.yaml', {
      certFile: fromWorkDir(pki.ecdsa.certFile),
      keyFile: 'nowhere.key',
    });
    const missing = await refused(['--config', config, '--node-file', missingKey]);
    t.is(missing.code, 78, missing.stderr);
    t.true(missing.stderr.includes(missingKey), missing.stderr);
    t.regex(missing.stderr, /sipProxy\.tls\.keyFile/);
    t.regex(missing.stderr, /nowhere\.key/);

    writeFileSync(config, stringify(proxyConfig({ node: 'stg8' })));
    const good = nodeFile('node.yaml', {
      certFile: fromWorkDir(pki.ecdsa.certFile),
      keyFile: fromWorkDir(pki.ecdsa.keyFile),
    });
    const other = await refused(['--config', config, '--node-file', good]);
    t.is(other.code, 78, other.stderr);
    t.regex(other.stderr, new RegExp(`node.*stg8.*node\\.id of ${good} \\("stg7"\\)`));
  },
);
