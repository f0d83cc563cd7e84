import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { RedisServer } from '../../src/local/redis-server.js';
import type { SipMessage, SipResponse } from '../../src/sip/message/index.js';
import { answer, challengesIn, ha1Of, readChallenge, requestText } from '../fixtures/sip/auth/digest-client.js';
import { TcpClient, type Reply } from '../fixtures/sip/clients.js';
import { FIXTURES } from '../fixtures/sip/fixtures.js';
import { ProxyProcess, SIP_PROXY_MAIN } from '../fixtures/sip/proxy-process.js';
import { proxyV2 } from '../fixtures/sip/proxy-header.js';
import { isRequest, isResponse, UdpUa, uaResponse } from '../fixtures/sip/ua.js';
import { waitFor } from '../helpers/wait.js';

// Digest authentication in the running stg-sip-proxy: the registrar challenges REGISTER (401), the proxy challenges
// a device's INVITE (407) and absorbs the ACK of its 407, the credentials for our realm never reach the PBX, and
// what must not be challenged is not (CANCEL, the PBX, a pass-through domain). SIPp (MD5 only) registers on a domain
// offering MD5; a Node UA does SHA-256 and the INVITEs; the PBX is a Node UA on 127.0.0.2 (the PBX target).

const DOMAIN = 'auth.example.test';
const MD5_DOMAIN = 'md5.example.test';
const PASS_DOMAIN = 'pbx.example.test';
const PASSWORD = 'wonderland';
const DEVICE = '127.0.0.1';
const PBX = '127.0.0.2';
let server: RedisServer;
let redis: Redis;
let proxy: ProxyProcess;
let workDir: string;
let device: UdpUa;
let pbx: UdpUa;

test.before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'stg-sip-auth-process-'));
  for (const domain of [DOMAIN, MD5_DOMAIN]) {
    const lines = ['users:', '  alice:'];
    lines.push(`    ha1-sha256: "${ha1Of('SHA-256', 'alice', domain, PASSWORD)}"`);
    lines.push(`    ha1-md5: "${ha1Of('MD5', 'alice', domain, PASSWORD)}"`, '');
    writeFileSync(join(workDir, `${domain}.yaml`), lines.join('\n'));
  }
  server = await RedisServer.start({ dir: join(workDir, 'redis'), durable: false });
  redis = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  await redis.connect();
  pbx = await UdpUa.open(PBX);
  device = await UdpUa.open(DEVICE);
  proxy = await ProxyProcess.start({
    listen: [
      { transport: 'udp', address: DEVICE, port: 0 },
      { transport: 'tcp', address: DEVICE, port: 0, behindProxy: true },
    ],
    limits: { exemptSources: [DEVICE, PBX] },
    dataStore: { host: server.host, port: server.port },
    registrar: { domains: [DOMAIN, MD5_DOMAIN, PASS_DOMAIN] },
    proxy: { pbx: { targets: [{ transport: 'udp', address: PBX, port: pbx.port }] } },
    auth: {
      domains: {
        [DOMAIN]: { mode: 'local', credentialsFile: join(workDir, `${DOMAIN}.yaml`) },
        // SIPp 3.6 computes MD5 only and gives up when the first challenge is another algorithm.
        [MD5_DOMAIN]: { mode: 'local', credentialsFile: join(workDir, `${MD5_DOMAIN}.yaml`), algorithms: ['MD5'] },
        [PASS_DOMAIN]: { mode: 'pass-through' },
      },
    },
  });
  await waitFor('the registrar connected to Redis', () =>
    proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
  );
});

test.after.always(async () => {
  device?.close();
  pbx?.close();
  await proxy?.stop();
  redis?.disconnect();
  await server?.stop('SIGKILL');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const udp = () => proxy.listener('udp');
const authFailures = () => proxy.logLines().filter((line) => line['msg'] === 'auth failed');
let sequence = 0;

/** A request from the device UA (or the PBX UA with `ua`), as text. */
function request(
  method: string,
  uri: string,
  o: { from: string; to: string; callId: string; cseq: number; branch?: string; toTag?: string; extra?: string[] },
  ua = device,
): string {
  const branch = o.branch ?? `z9hG4bKauth${++sequence}`;
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${ua.address}:${ua.port};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <${o.from}>;tag=f${ua.port}`,
    `To: <${o.to}>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq} ${method}`,
    `Contact: <${ua.contact('alice')}>`,
    ...(o.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** The challenges of a 401 or 407, in order. */
function challenges(response: SipResponse): Record<string, string>[] {
  const header = response.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
  return response.headers.lines(header).map(readChallenge);
}

function credentials(challenge: Record<string, string>, method: string, uri: string, password = PASSWORD): string {
  const algorithm = challenge['algorithm'] === 'MD5' ? 'MD5' : 'SHA-256';
  const { realm, nonce, opaque } = challenge as { realm: string; nonce: string; opaque: string };
  return answer({ algorithm, username: 'alice', password, realm, nonce, opaque, method, uri });
}

/** SIPp registering alice@md5 over UDP with `password`: its own 401 handling and MD5 ([authentication]). */
async function sippRegister(t: ExecutionContext, scenario: string, password: string) {
  const run = execa(
    'sipp',
    [
      ...['-sf', `${FIXTURES}sipp/${scenario}`, '-t', 'u1', '-i', DEVICE, '-p', '0', '-m', '1'],
      ...['-s', 'alice', '-key', 'domain', MD5_DOMAIN, '-au', 'alice', '-ap', password],
      ...['-timeout', '10s', '-timeout_error', '-nostdin', `${DEVICE}:${udp().port}`],
    ],
    { cwd: workDir, timeout: 20_000, reject: false },
  );
  t.teardown(() => {
    if (run.exitCode === null) run.kill('SIGKILL');
  });
  const result = await run;
  t.is(result.exitCode, 0, `${String(result.stdout).slice(-1500)}\n${String(result.stderr).slice(-500)}`);
}

test.serial('SIPp REGISTER with MD5: 401 first, 200 with the right password, the binding in Redis', async (t) => {
  await sippRegister(t, 'auth-register.xml', PASSWORD);
  const bindings = await redis.hgetall(`fs:alice@${MD5_DOMAIN}`);
  t.is(Object.keys(bindings).length, 1);
  t.regex(Object.values(bindings)[0]!, /^<sip:alice@127\.0\.0\.1:\d+;transport=UDP;fs-conn-id=/);
});

test.serial('SIPp with a wrong password: challenged again, one warn line naming the client', async (t) => {
  const before = authFailures().length;
  await sippRegister(t, 'auth-register-refused.xml', 'not-the-password');
  // The proxy's stdout may reach us after SIPp's exit. One line per attempt: SIPp retransmits over UDP when the
  // answer is slow, and each copy is checked again.
  const bad = await waitFor('the bad-password line', () => {
    const lines = authFailures()
      .slice(before)
      .filter((line) => line['reason'] === 'bad-password');
    return lines.length > 0 && lines;
  });
  for (const line of bad) {
    t.like(line, { level: 40, component: 'sip-auth', client: DEVICE, user: 'alice', realm: MD5_DOMAIN });
  }
});

test.serial('behind HAProxy, the failure line names the client from the PROXY header', async (t) => {
  const listener = proxy.listener('tcp', 4, true);
  const client = await TcpClient.connect(DEVICE, listener.port);
  t.teardown(() => client.destroy());
  const who = { source: '203.0.113.9', sourcePort: 40000, destination: '198.51.100.1', destinationPort: 5060 };
  client.write(proxyV2(who));
  const via = 'SIP/2.0/TCP 203.0.113.9:40000';
  const next = async (what: string) => (await client.next(what)) as Reply;
  client.write(Buffer.from(requestText({ from: `sip:alice@${DOMAIN}`, via, callId: 'haproxy', cseq: 1 })));
  const first = await next('the 401');
  t.is(first.status, 401);
  const challenge = readChallenge(challengesIn(first.text)[0]!);
  const wrong = credentials(challenge, 'REGISTER', `sip:${DOMAIN}`, 'guess');
  const extra = [['Authorization', wrong]] as const;
  client.write(Buffer.from(requestText({ from: `sip:alice@${DOMAIN}`, via, callId: 'haproxy', cseq: 2, extra })));
  t.is((await next('the second 401')).status, 401);
  const line = await waitFor('the failure line', () =>
    authFailures().find((l) => l['reason'] === 'bad-password' && (l['sip'] as { callId: string }).callId === 'haproxy'),
  );
  t.like(line, { client: '203.0.113.9', user: 'alice', realm: DOMAIN });
});

test.serial('REGISTER with SHA-256: 401 offering SHA-256 then MD5, 200 with SHA-256 credentials', async (t) => {
  const aor = `sip:alice@${DOMAIN}`;
  const register = (cseq: number, extra: string[] = []) =>
    device.send(
      request('REGISTER', `sip:${DOMAIN}`, {
        from: aor,
        to: aor,
        callId: 'sha',
        cseq,
        extra: ['Expires: 600', ...extra],
      }),
      udp(),
    );
  await register(1);
  const challenged = await device.response(401, 'REGISTER');
  t.deepEqual(
    challenges(challenged).map((c) => c['algorithm']),
    ['SHA-256', 'MD5'],
  );
  await register(2, [`Authorization: ${credentials(challenges(challenged)[0]!, 'REGISTER', `sip:${DOMAIN}`)}`]);
  await device.response(200, 'REGISTER');
  const bindings = Object.values(await redis.hgetall(`fs:alice@${DOMAIN}`));
  t.is(bindings.length, 1);
  t.true(bindings[0]!.startsWith(`<${device.contact('alice')};fs-conn-id=`));
});

test.serial('a pass-through domain: REGISTER is not challenged', async (t) => {
  const aor = `sip:bob@${PASS_DOMAIN}`;
  const text = request('REGISTER', `sip:${PASS_DOMAIN}`, { from: aor, to: aor, callId: 'pass', cseq: 1 });
  await device.send(text.replace('Content-Length: 0', 'Expires: 600\r\nContent-Length: 0'), udp());
  const ok = await device.response(200, 'REGISTER');
  t.is(ok.callId(), 'pass');
  t.is(Object.keys(await redis.hgetall(`fs:bob@${PASS_DOMAIN}`)).length, 1);
});

test.serial(
  'behind HAProxy, the PROXY header client is the stored contact and the Via received (a device behind NAT)',
  async (t) => {
    const listener = proxy.listener('tcp', 4, true);
    const client = await TcpClient.connect(DEVICE, listener.port);
    t.teardown(() => client.destroy());
    client.write(
      proxyV2({ source: '203.0.113.9', sourcePort: 40000, destination: '198.51.100.1', destinationPort: 5060 }),
    );
    // The device writes its private address, as a phone behind NAT does.
    const aor = `sip:carol@${PASS_DOMAIN}`;
    const text = [
      `REGISTER sip:${PASS_DOMAIN} SIP/2.0`,
      'Via: SIP/2.0/TCP 10.20.30.40:5060;branch=z9hG4bKnat1;rport',
      'Max-Forwards: 70',
      `From: <${aor}>;tag=nat1`,
      `To: <${aor}>`,
      'Call-ID: nat-register',
      'CSeq: 1 REGISTER',
      'Contact: <sip:carol@10.20.30.40:5060;transport=tcp>;+sip.instance="<urn:uuid:00000000-0000-4000-8000-00000000ca70>"',
      'Expires: 600',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    client.write(Buffer.from(text));
    const ok = (await client.next('the 200')) as Reply;
    t.is(ok.status, 200);
    t.regex(
      ok.text,
      /Via: SIP\/2\.0\/TCP 10\.20\.30\.40:5060;branch=z9hG4bKnat1;rport=40000;received=203\.0\.113\.9\r\n/,
    );
    const [stored] = Object.values(await redis.hgetall(`fs:carol@${PASS_DOMAIN}`));
    t.true(stored?.startsWith('<sip:carol@203.0.113.9:40000;transport=tcp;fs-conn-id='), stored);
  },
);

/**
 * An INVITE from the device to the PBX: 407, the ACK of the 407, then the INVITE again with credentials (and
 * another realm's, which must be forwarded). Returns what the PBX received.
 */
async function authenticatedInvite(t: ExecutionContext, callId: string) {
  // The PBX's own address: a stray ACK (with a To tag) would be routed there, as in-dialog requests are.
  const uri = `sip:200@${PBX}:${pbx.port}`;
  const base = { from: `sip:alice@${DOMAIN}`, to: uri, callId };
  const branch = `z9hG4bKfirst${callId}`;
  await device.send(request('INVITE', uri, { ...base, cseq: 1, branch }), udp());
  const challenged = await device.response(407, 'INVITE');
  const toTag = challenged.to().tag;
  t.truthy(toTag);
  await device.send(request('ACK', uri, { ...base, cseq: 1, branch, toTag: toTag! }), udp());
  const theirs = `Digest username="alice", realm="pbx.example.net", nonce="n1", uri="${uri}", response="00"`;
  const ours = credentials(challenges(challenged)[0]!, 'INVITE', uri);
  const extra = [`Proxy-Authorization: ${ours}`, `Proxy-Authorization: ${theirs}`];
  const secondBranch = `z9hG4bKsecond${callId}`;
  const text = request('INVITE', uri, { ...base, cseq: 2, branch: secondBranch, extra });
  await device.send(text, udp());
  const received = await pbx.request('INVITE', callId);
  return { ...received, uri, base, branch: secondBranch, theirs, text };
}

test.serial(
  'INVITE from a device: 407, its ACK absorbed, the INVITE with credentials reaches the PBX without ours',
  async (t) => {
    const { request: atPbx, from, theirs, uri, base } = await authenticatedInvite(t, 'inv-1');
    // The ACK went before the second INVITE on the same socket: had it been forwarded, the PBX would have it now.
    t.is(
      pbx.count((m) => isRequest('ACK')(m) && m.callId() === 'inv-1'),
      0,
      pbx.describe(),
    );
    t.is(
      pbx.count((m) => isRequest('INVITE')(m) && m.callId() === 'inv-1'),
      1,
      'only the authenticated INVITE',
    );
    t.deepEqual(atPbx.headers.lines('proxy-authorization'), [theirs], 'our realm removed, the other kept');
    await pbx.send(uaResponse(atPbx, 486, 'Busy Here', 'pbx1'), from);
    const busy = await device.response(486, 'INVITE');
    await device.send(
      request('ACK', uri, { ...base, cseq: 2, branch: `z9hG4bKsecondinv-1`, toTag: busy.to().tag! }),
      udp(),
    );
    t.is(device.count(isResponse(407, 'ACK')), 0);
  },
);

test.serial('CANCEL of an authenticated INVITE is not challenged: 200, then 487 from the PBX', async (t) => {
  const { request: atPbx, from, uri, base, branch } = await authenticatedInvite(t, 'inv-cancel');
  await pbx.send(uaResponse(atPbx, 180, 'Ringing', 'pbx2'), from);
  await device.response(180, 'INVITE');
  await device.send(request('CANCEL', uri, { ...base, cseq: 2, branch }), udp());
  await device.response(200, 'CANCEL');
  const cancel = await pbx.request('CANCEL', 'inv-cancel');
  await pbx.send(uaResponse(cancel.request, 200, 'OK', 'pbx2'), cancel.from);
  await pbx.send(uaResponse(atPbx, 487, 'Request Terminated', 'pbx2'), from);
  await device.response(487, 'INVITE');
  t.is(
    device.count((m) => isResponse(407)(m) && m.callId() === 'inv-cancel'),
    1,
    'only the first INVITE was challenged',
  );
});

test.serial(
  'a UDP retransmission of the authenticated INVITE and the in-dialog requests are not challenged',
  async (t) => {
    const callId = 'inv-dialog';
    const { request: atPbx, from, uri, base, text } = await authenticatedInvite(t, callId);
    const trying = (m: SipMessage) => isResponse(100, 'INVITE')(m) && m.callId() === callId;
    await waitFor('the 100 Trying', () => device.count(trying) === 1);
    // The same INVITE again (same branch, same nonce count): the transaction layer answers its last provisional.
    await device.send(text, udp());
    await waitFor('the 100 Trying again', () => device.count(trying) === 2, { describe: () => device.describe() });
    t.is(
      pbx.count((m) => isRequest('INVITE')(m) && m.callId() === callId),
      1,
      'forwarded once',
    );

    await pbx.send(uaResponse(atPbx, 200, 'OK', 'pbx3'), from);
    const ok = await device.response(200, 'INVITE');
    const routes = ok.headers.lines('record-route').reverse();
    t.true(routes.length > 0, 'the proxy record-routed the call');
    const inDialog = { ...base, toTag: ok.to().tag!, extra: routes.map((route) => `Route: ${route}`) };
    await device.send(request('ACK', uri, { ...inDialog, cseq: 2 }), udp());
    await pbx.request('ACK', callId);
    await device.send(request('BYE', uri, { ...inDialog, cseq: 3 }), udp());
    const bye = await pbx.request('BYE', callId);
    await pbx.send(uaResponse(bye.request, 200, 'OK', 'pbx3'), bye.from);
    await device.response(200, 'BYE');
    t.is(
      device.count((m) => isResponse(407)(m) && m.callId() === callId),
      1,
      'only the first INVITE was challenged',
    );
  },
);

test.serial('INVITE from the PBX to a registered device: no challenge, the device gets it', async (t) => {
  // alice@DOMAIN was registered from the device UA by the SHA-256 test.
  const uri = `sip:alice@${DOMAIN}`;
  const text = request(
    'INVITE',
    uri,
    { from: 'sip:0600000000@pbx.example.net', to: uri, callId: 'from-pbx', cseq: 1 },
    pbx,
  );
  await pbx.send(text, udp());
  const atDevice = await device.request('INVITE', 'from-pbx');
  await device.send(uaResponse(atDevice.request, 486, 'Busy Here', 'dev1'), atDevice.from);
  await pbx.response(486, 'INVITE');
  t.is(
    pbx.count((m) => isResponse(407)(m) || isResponse(401)(m)),
    0,
    pbx.describe(),
  );
});

test.serial(
  'a credentials file that cannot be read: the proxy refuses to start, and --check-config says so',
  async (t) => {
    const missing = join(workDir, 'nobody.yaml');
    const config = join(workDir, 'bad-auth.yaml');
    writeFileSync(
      config,
      [
        'listen: [{ transport: udp, address: 127.0.0.1, port: 0 }]',
        `auth: { domains: { ${DOMAIN}: { mode: local, credentialsFile: ${missing} } } }`,
        '',
      ].join('\n'),
    );
    const run = await execa(process.execPath, [SIP_PROXY_MAIN, '--config', config], { reject: false, timeout: 10_000 });
    t.is(run.exitCode, 78, String(run.stderr));
    t.true(String(run.stderr).includes(missing), String(run.stderr));
    // --check-config reads the files too: the operator hears it before a restart, not from it.
    const check = await execa(process.execPath, [SIP_PROXY_MAIN, '--check-config', config], {
      reject: false,
      timeout: 10_000,
    });
    t.is(check.exitCode, 78, String(check.stdout));
    t.true(String(check.stderr).includes(missing), String(check.stderr));
  },
);
