import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { RedisServer } from '../../src/local/redis-server.js';
import type { ClusterStatus } from '../../src/cli/cluster-status.js';
import { TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { TcpUa, UdpUa, uaRequest } from '../fixtures/sip/ua.js';

/*
 * The agent's side of the proxy status, with a real stg-sip-proxy process (status endpoint on loopback) and real
 * agents: stg1's node file names the proxy (sipProxy.statusUrl), stg2's does not. A call to a sleeping device makes
 * a push wait that `clusterctl status` shows; then the proxy is stopped and the agent says so everywhere.
 */

const DOMAIN = 'sips.example.es';
const dir = mkdtempSync(join(tmpdir(), 'stg-agent-sip-'));
let cluster: TestCluster;
let data: RedisServer;
let proxy: ProxyProcess;
const uas: { close(): void }[] = [];

async function get(node: string, path: string) {
  const response = await fetch(`http://127.0.0.1:${cluster.httpPort(node)}${path}`);
  return { status: response.status, body: await response.text() };
}

test.before(async () => {
  [cluster, data] = await Promise.all([
    TestCluster.start({ members: 1 }),
    RedisServer.start({ dir: join(dir, 'data'), durable: false }),
  ]);
  proxy = await ProxyProcess.start({
    node: 'stg1',
    listen: [
      { transport: 'udp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: '127.0.0.1', port: 0 },
    ],
    limits: { exemptSources: ['127.0.0.1'] },
    dataStore: { host: data.host, port: data.port },
    registrar: { domains: [DOMAIN] },
    // A long wait: the call stays pending (no push worker here) while the test looks at it.
    pushWait: { queuePrefix: 'test:push', callTimeoutMs: 60_000, messageTimeoutMs: 60_000, statsIntervalMs: 100 },
    status: { address: '127.0.0.1', port: 0 },
  });
  const dataStore = { host: data.host, port: data.port };
  cluster.startAgent(
    'stg1',
    cluster.nodeFile('stg1', { dataStore, sipProxy: { statusUrl: `http://127.0.0.1:${proxy.status!.port}` } }),
  );
  cluster.startAgent('stg2', cluster.nodeFile('stg2', { dataStore }));
  await cluster.waitForLeader();
  await waitFor('both agents online and answering HTTP', async () => {
    const online = (await cluster.status()).nodes.filter((node) => node.state === 'online').length === 2;
    const answering = await Promise.all(
      ['stg1', 'stg2'].map((node) =>
        get(node, '/health').then(
          () => true,
          () => false,
        ),
      ),
    );
    return online && answering.every(Boolean);
  });
});

test.after.always(async () => {
  for (const ua of uas) ua.close();
  await proxy?.stop();
  await cluster?.close();
  await data?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** `clusterctl status` until `ready` holds for it (heartbeats carry what the agent read a few seconds ago). */
async function statusWhen(what: string, ready: (status: ClusterStatus) => boolean): Promise<ClusterStatus> {
  return waitFor(
    what,
    async () => {
      const status = await cluster.status();
      return ready(status) ? status : undefined;
    },
    {
      timeoutMs: 15_000,
      describe: async () => JSON.stringify((await cluster.status()).nodes.map((n) => [n.id, n.sip])),
    },
  );
}

const sipOf = (status: ClusterStatus, node: string) => status.nodes.find((entry) => entry.id === node)?.sip;

test.serial(
  'a running proxy: /health/sip-proxy 200, its metrics in the agent /metrics, push waits in status',
  async (t) => {
    const health = await get('stg1', '/health/sip-proxy');
    t.is(health.status, 200, health.body);
    t.like(JSON.parse(health.body), { node: 'stg1', status: 'ok' });
    const notConfigured = await get('stg2', '/health/sip-proxy');
    t.is(notConfigured.status, 404);
    t.regex(notConfigured.body, /not configured/);

    const metrics = (await get('stg1', '/metrics')).body;
    t.regex(metrics, /^stg_ha_term \d+$/m);
    t.regex(metrics, /^stg_sip_proxy_up 1$/m);
    t.regex(metrics, /^stg_sip_push_waits_pending 0$/m);
    const families = [...metrics.matchAll(/^# TYPE (\S+)/gm)].map((match) => match[1]);
    t.deepEqual(families, [...new Set(families)], 'no metric family twice');
    t.notRegex((await get('stg2', '/metrics')).body, /stg_sip_proxy_up/);

    // A device registers with push parameters over TCP, then sleeps (connection closed): a call to it waits.
    const device = await TcpUa.connect(proxy.listener('tcp'));
    await device.send(
      [
        `REGISTER sip:${DOMAIN} SIP/2.0`,
        `Via: SIP/2.0/TCP ${device.address}:${device.port};branch=z9hG4bKsleep1;rport`,
        'Max-Forwards: 70',
        `From: <sip:sleeper@${DOMAIN}>;tag=s1`,
        `To: <sip:sleeper@${DOMAIN}>`,
        'Call-ID: sleeper-reg',
        'CSeq: 1 REGISTER',
        `Contact: <sip:sleeper@${device.address}:${device.port};transport=tcp;pn-provider=fcm;pn-prid=tok1;pn-param=proj>` +
          ';+sip.instance="<urn:uuid:00000000-0000-4000-8000-0000000000aa>";expires=600',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    await device.response(200, 'REGISTER');
    device.close();
    const caller = await UdpUa.open('127.0.0.1');
    uas.push(caller);
    await caller.send(
      uaRequest('INVITE', `sip:sleeper@${DOMAIN}`, caller, { callId: 'to-sleeper' }),
      proxy.listener('udp'),
    );
    await caller.response(110, 'INVITE');

    const status = await statusWhen('stg1 heartbeat to show one push wait pending', (s) => {
      const sip = sipOf(s, 'stg1');
      return (
        sip !== null && sip !== undefined && !('unreachable' in sip) && sip.pushPending === 1 && sip.registrations === 1
      );
    });
    t.like(sipOf(status, 'stg1'), { pushPending: 1, registrations: 1, dataStore: 'up' });
    t.is(sipOf(status, 'stg2'), null, 'a node without sipProxy has no SIP summary');
    const text = cluster.clusterctl('status').stdout;
    t.log(text);
    t.regex(text, /^SIP proxies: 1 live registration\(s\)$/m, 'the sleeping device is still registered');
    t.regex(text, /^ {2}stg1 SIP: \d+ flow\(s\), \d+ transaction\(s\), 1 push wait\(s\) pending$/m);
    t.notRegex(text, /stg2 SIP/);
    const scraped = (await get('stg1', '/metrics')).body;
    t.regex(scraped, /^stg_sip_push_waits_pending 1$/m);
    t.regex(scraped, /^stg_sip_registrations 1$/m);
  },
);

test.serial(
  'a stopped proxy: /health/sip-proxy 503 unreachable, stg_sip_proxy_up 0, status says unreachable',
  async (t) => {
    await proxy.stop();
    const health = await get('stg1', '/health/sip-proxy');
    t.is(health.status, 503);
    t.like(JSON.parse(health.body), { status: 'unhealthy', reason: 'unreachable', detail: 'ECONNREFUSED' });
    const metrics = (await get('stg1', '/metrics')).body;
    t.regex(metrics, /^stg_sip_proxy_up 0$/m);
    t.regex(metrics, /^stg_ha_term \d+$/m, "the agent's own metrics are all there");
    t.regex(metrics, /^stg_ha_renew_latency_seconds_count \d+$/m);
    t.notRegex(metrics, /stg_sip_push_waits_pending/);

    await statusWhen('stg1 heartbeat to say the proxy is unreachable', (s) => {
      const sip = sipOf(s, 'stg1');
      return sip !== null && sip !== undefined && 'unreachable' in sip;
    });
    t.regex(cluster.clusterctl('status').stdout, /^ {2}stg1 SIP: sip-proxy unreachable \(ECONNREFUSED, at \S+\)$/m);
    const json = JSON.parse(cluster.clusterctl('status', '--json').stdout) as ClusterStatus;
    t.like(sipOf(json, 'stg1'), { unreachable: true, reason: 'ECONNREFUSED' });
  },
);
