import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { stringify } from 'yaml';
import { RedisServer } from '../../src/local/redis-server.js';
import type { AorSummary, BindingReport } from '../../src/cli/registrations/read-registrations.js';
import { waitFor } from '../helpers/wait.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { TcpUa, UdpUa } from '../fixtures/sip/ua.js';

/*
 * `clusterctl registrations` against a real data Redis holding bindings written by a real stg-sip-proxy (REGISTERs
 * over TCP and UDP, one with RFC 8599 push parameters), read with the real CLI binary.
 */

const CLUSTERCTL = fileURLToPath(new URL('../../src/cli/clusterctl.js', import.meta.url));
const DOMAIN = 'sips.example.es';
const INSTANCE = 'urn:uuid:6109aaaa-0000-4000-8000-000000000001';
/** The proxy's fs-proxy-id; it announces itself as node stg1, which the CLI shows instead. */
const PROXY_ID = '26378b0194d4162e';
const dir = mkdtempSync(join(tmpdir(), 'stg-registrations-'));
let server: RedisServer;
let proxy: ProxyProcess;
let nodeFile: string;
const uas: { close(): void }[] = [];

test.before(async () => {
  server = await RedisServer.start({ dir: join(dir, 'redis'), durable: false });
  proxy = await ProxyProcess.start({
    node: 'stg1',
    listen: [
      { transport: 'udp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: '127.0.0.1', port: 0 },
    ],
    limits: { exemptSources: ['127.0.0.1'] },
    dataStore: { host: server.host, port: server.port },
    registrar: { domains: [DOMAIN], path: { uri: 'sip:127.0.0.1:5556;transport=tcp', proxyId: PROXY_ID } },
  });
  await waitFor('the registrar connected to Redis', () =>
    proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
  );
  nodeFile = join(dir, 'clusterctl.yaml');
  writeFileSync(
    nodeFile,
    stringify({
      cluster: 'test',
      lockMembers: [{ host: '127.0.0.1', port: 1 }],
      dataStore: { host: server.host, port: server.port },
    }),
  );
});

test.after.always(async () => {
  for (const ua of uas) ua.close();
  await proxy?.stop();
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function clusterctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLUSTERCTL, '-c', nodeFile, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function register(ua: UdpUa | TcpUa, user: string, contactParams: string, extra: string[] = []): string {
  const transport = ua instanceof TcpUa ? 'TCP' : 'UDP';
  return [
    `REGISTER sip:${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${ua.address}:${ua.port};branch=z9hG4bKreg${user}${Date.now()};rport`,
    'Max-Forwards: 70',
    `From: <sip:${user}@${DOMAIN}>;tag=reg${user}`,
    `To: <sip:${user}@${DOMAIN}>`,
    `Call-ID: reg-${user}-${ua.port}`,
    'CSeq: 7 REGISTER',
    `Contact: <sip:${user.replace('*', '')}@${ua.address}:${ua.port}${contactParams}>;expires=600${extra.join('')}`,
    'User-Agent: LinphoneAndroid/5.2.0 (test)',
    'Supported: path',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

test.serial('registrations lists every AOR and decodes the bindings of one, as text and JSON', async (t) => {
  const phone = await TcpUa.connect(proxy.listener('tcp'));
  const desk = await UdpUa.open('127.0.0.1');
  const other = await UdpUa.open('127.0.0.1');
  uas.push(phone, desk, other);
  await phone.send(
    register(phone, '6109*01', ';transport=tcp;pn-provider=fcm;pn-prid=tok123;pn-param=stg-project', [
      `;+sip.instance="<${INSTANCE}>"`,
    ]),
  );
  await phone.response(200, 'REGISTER');
  await desk.send(register(desk, '6109*01', ''), proxy.listener('udp'));
  await desk.response(200, 'REGISTER');
  await other.send(register(other, '7000', ''), proxy.listener('udp'));
  await other.response(200, 'REGISTER');

  const list = await clusterctl('registrations');
  t.is(list.code, 0, list.stderr);
  t.regex(list.stdout, /^AOR\s+Contacts\s+Pushable\s+Nodes\s+Expired$/m);
  t.regex(list.stdout, /^6109\*01@sips\.example\.es\s+2\s+1\s+stg1\s+0$/m);
  t.regex(list.stdout, /^7000@sips\.example\.es\s+1\s+0\s+stg1\s+0$/m);
  t.regex(list.stdout, /2 address\(es\) of record, 3 live contact\(s\)\./);
  const listJson = JSON.parse((await clusterctl('registrations', '--json')).stdout) as { aors: AorSummary[] };
  t.deepEqual(
    listJson.aors.map((aor) => [aor.aor, aor.live, aor.proxies, aor.nodes]),
    [
      ['6109*01@sips.example.es', 2, [PROXY_ID], ['stg1']],
      ['7000@sips.example.es', 1, [PROXY_ID], ['stg1']],
    ],
  );

  // Given as a URI, as an operator copies it from a log line: normalised as the registrar keys it.
  const one = await clusterctl('registrations', `<sips:6109*01@${DOMAIN};transport=tls>`);
  t.is(one.code, 0, one.stderr);
  t.regex(one.stdout, /^6109\*01@sips\.example\.es: 2 live contact\(s\), 0 expired or unreadable$/m);
  t.regex(one.stdout, new RegExp(`Contact\\s+sip:610901@127\\.0\\.0\\.1:${phone.port};transport=tcp$`, 'm'));
  t.notRegex(one.stdout, /pn-prid|fs-conn-id|callid=/, 'neither internal nor push parameters in the contact');
  t.regex(one.stdout, new RegExp(`Instance\\s+"<${INSTANCE}>"`));
  t.regex(one.stdout, /Expires in\s+(59\d|600) s/);
  t.regex(one.stdout, /Node\s+stg1$/m);
  t.regex(one.stdout, /Push\s+fcm stg-project/);
  t.regex(one.stdout, /User-Agent\s+LinphoneAndroid\/5\.2\.0 \(test\)/);
  t.regex(one.stdout, new RegExp(`Call-ID/CSeq\\s+reg-6109\\*01-${phone.port} 7`));

  const json = JSON.parse((await clusterctl('registrations', `6109*01@${DOMAIN}`, '--json')).stdout) as {
    aor: string;
    bindings: BindingReport[];
  };
  t.is(json.aor, '6109*01@sips.example.es');
  const tcp = json.bindings.find((binding) => binding.instance === `"<${INSTANCE}>"`);
  const udp = json.bindings.find((binding) => binding.instance === null);
  t.like(tcp, { proxyId: PROXY_ID, node: 'stg1', push: { provider: 'fcm', app: 'stg-project' }, cseq: 7, error: null });
  t.regex(tcp?.connectionId ?? '', /^[0-9a-f]{16}$/);
  t.like(udp, { contact: `sip:610901@127.0.0.1:${desk.port}`, push: null, proxyId: PROXY_ID, node: 'stg1' });
  t.true((udp?.expiresInS ?? 0) > 590);

  const nobody = await clusterctl('registrations', `nobody@${DOMAIN}`);
  t.is(nobody.code, 0);
  t.regex(nobody.stdout, /nobody@sips\.example\.es: not registered \(no fs:nobody@sips\.example\.es record\)/);
});

test.serial(
  'registrations names what is wrong: a bad AOR, a file without dataStore, an unreachable Redis',
  async (t) => {
    const bad = await clusterctl('registrations', 'tel:+34600000000');
    t.is(bad.code, 1);
    t.regex(bad.stderr, /"tel:\+34600000000" is not an address of record/);

    const noStore = join(dir, 'no-store.yaml');
    writeFileSync(noStore, stringify({ cluster: 'test', lockMembers: [{ host: '127.0.0.1', port: 1 }] }));
    const missing = await clusterctl('registrations', '--node-file', noStore);
    t.is(missing.code, 1);
    t.regex(missing.stderr, /invalid configuration[\s\S]*dataStore/);

    const down = join(dir, 'down.yaml');
    const closed = await RedisServer.start({ dir: join(dir, 'closed'), durable: false });
    const port = closed.port;
    await closed.stop('SIGKILL');
    writeFileSync(down, stringify({ dataStore: { host: '127.0.0.1', port } }));
    const unreachable = await clusterctl('registrations', '--node-file', down);
    t.is(unreachable.code, 1);
    t.regex(unreachable.stderr, new RegExp(`data Redis 127\\.0\\.0\\.1:${port} unreachable: ECONNREFUSED`));
  },
);
