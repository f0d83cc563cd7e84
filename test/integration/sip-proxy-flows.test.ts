import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { SipUri } from '../../src/sip/message/index.js';
import { RedisServer } from '../../src/local/redis-server.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { TcpUa, UdpUa, uaRequest, uaResponse } from '../fixtures/sip/ua.js';
import { waitFor } from '../helpers/wait.js';

// A device behind NAT registered over TCP through a running stg-sip-proxy (registrar on a real redis-server): its
// Contact names a private address nobody listens on, so the only way to reach it is the connection it opened
// (fs-conn-id). The PBX (a UDP user agent on 127.0.0.2) calls it and hangs up through the Record-Route.

const DOMAIN = 'sips.example.test';
const PRIVATE = 'sip:dave@10.0.0.99:5062;transport=tcp';
let proxy: ProxyProcess;
let server: RedisServer;
let workDir: string;
let pbx: UdpUa;
let udpAt: { address: string; port: number };
let tcpAt: { address: string; port: number };

test.before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'stg-proxy-flows-'));
  server = await RedisServer.start({ dir: join(workDir, 'redis'), durable: false });
  pbx = await UdpUa.open('127.0.0.2');
  proxy = await ProxyProcess.start({
    listen: [
      { transport: 'udp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: '127.0.0.1', port: 0 },
    ],
    limits: { exemptSources: ['127.0.0.1', '127.0.0.2'] },
    dataStore: { host: server.host, port: server.port },
    registrar: { domains: [DOMAIN], path: { uri: 'sip:10.0.0.11:5556;transport=tcp', proxyId: 'node-a' } },
    proxy: { pbx: { targets: [{ transport: 'udp', address: '127.0.0.2', port: pbx.port }] } },
  });
  await waitFor('the registrar connected to Redis', () =>
    proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
  );
  udpAt = proxy.listener('udp');
  tcpAt = proxy.listener('tcp');
});

test.after.always(async () => {
  pbx?.close();
  await proxy?.stop();
  await server?.stop('SIGKILL');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function registerOver(device: TcpUa, user: string): Promise<void> {
  await device.send(
    [
      `REGISTER sip:${DOMAIN} SIP/2.0`,
      `Via: SIP/2.0/TCP 10.0.0.99:5062;branch=z9hG4bKreg${user};rport`,
      'Max-Forwards: 70',
      `From: <sip:${user}@${DOMAIN}>;tag=r1`,
      `To: <sip:${user}@${DOMAIN}>`,
      `Call-ID: register-${user}`,
      'CSeq: 1 REGISTER',
      `Contact: <${PRIVATE.replace('dave', user)}>;+sip.instance="<urn:uuid:00000000-0000-4000-8000-00000000da7e>"`,
      'Expires: 600',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  await device.response(200, 'REGISTER');
}

/** True while a TCP connection between the proxy's listener and this local port exists (/proc/net/tcp, IPv4). */
function connectionExists(proxyPort: number, devicePort: number): boolean {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((line) => {
      const [, local, remote] = line.trim().split(/\s+/);
      return local?.endsWith(`:${hex(proxyPort)}`) === true && remote?.endsWith(`:${hex(devicePort)}`) === true;
    });
}

test.serial(
  'a call from the PBX reaches the device on its own connection; the BYE follows the Record-Route to it',
  async (t) => {
    const device = await TcpUa.connect(tcpAt);
    t.teardown(() => device.close());
    await registerOver(device, 'dave');

    await pbx.send(uaRequest('INVITE', `sip:dave@${DOMAIN}`, pbx, { callId: 'flow-call-1' }), udpAt);
    const invite = await device.request('INVITE', 'flow-call-1');
    t.is(
      invite.uriText,
      `sip:dave@${device.address}:${device.port};transport=tcp`,
      'the registered contact, corrected to where the REGISTER came from (its Via named another host: NAT)',
    );
    const recordRoutes = invite.recordRoutes().map((rr) => rr.uri as SipUri);
    t.deepEqual(
      recordRoutes.map((uri) => `${uri.transport ?? 'udp'} ${uri.port}`),
      [`tcp ${tcpAt.port}`, `udp ${udpAt.port}`],
      'double Record-Route: the device side over TCP, the PBX side over UDP',
    );
    await device.send(uaResponse(invite, 180, 'Ringing', 'dev'));
    await device.send(uaResponse(invite, 200, 'OK', 'dev', [`Contact: <${PRIVATE}>`]));
    const ok = await pbx.response(200, 'INVITE');
    const routeSet = ok
      .recordRoutes()
      .map((rr) => rr.toString())
      .reverse();
    const inDialog = (method: string, cseq: number) =>
      uaRequest(method, PRIVATE, pbx, {
        callId: 'flow-call-1',
        cseq,
        toTag: 'dev',
        extra: [`Route: ${routeSet.join(', ')}`],
      });
    await pbx.send(inDialog('ACK', 1), udpAt);
    await device.request('ACK', 'flow-call-1');
    await pbx.send(inDialog('BYE', 2), udpAt);
    const bye = await device.request('BYE', 'flow-call-1');
    t.false(bye.headers.has('route'), 'both our Routes were consumed');
    await device.send(uaResponse(bye, 200, 'OK', 'dev'));
    await pbx.response(200, 'BYE');
  },
);

test.serial("once the device's connection is gone a call for it gets 480: it cannot be connected to", async (t) => {
  const device = await TcpUa.connect(tcpAt);
  await registerOver(device, 'erin');
  const port = device.port;
  device.close();
  await waitFor('the proxy to close its side of the connection', () => !connectionExists(tcpAt.port, port));
  await pbx.send(uaRequest('INVITE', `sip:erin@${DOMAIN}`, pbx, { callId: 'flow-call-2' }), udpAt);
  const answer = await pbx.response(480, 'INVITE');
  t.is(answer.status, 480);
});
