import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { ClusterStatus } from '../../src/cli/cluster-status.js';
import { DEFAULT_TIMINGS } from '../../src/config/defaults.js';
import { BindServer } from '../helpers/bind-server.js';
import { TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

/*
 * `dns.external` end to end: two agents (nodes mode, each node its own loopback address) and a real BIND on
 * loopback; the leader moves the service name there with RFC 2136 updates signed with TSIG. When the leader dies,
 * the next leader drops it from the name once its heartbeat has expired; `clusterctl status` shows the updater.
 */

const ADDRESS: Record<string, string> = { stg1: '127.0.0.11', stg2: '127.0.0.12' };
const SERVICE = 'sips.example.es';
const { leaseTtlMs, rankDelayMs, heartbeatTtlMs, renewIntervalMs } = DEFAULT_TIMINGS;
/** A new leader, a heartbeat expiry, one leader tick, one nsupdate: each bounded by the configured timings. */
const MOVE_BOUND_MS = leaseTtlMs + 2 * rankDelayMs + heartbeatTtlMs + 2 * renewIntervalMs + 5_000;

test('the leader keeps the external zone in step with the healthy nodes, across a leader crash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stg-dns-ext-cluster-'));
  const bind = await BindServer.start({ dir: join(dir, 'bind'), records: [`sips 30 IN A 192.0.2.10`] });
  const cluster = await TestCluster.start({ members: 3 });
  t.teardown(async () => {
    await cluster.close();
    await bind.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  cluster.writeDefinition({
    dns: {
      ttlS: 30,
      external: { server: '127.0.0.1', port: bind.port, zone: 'example.es', backoff: { initialMs: 100, maxMs: 1000 } },
    },
  });
  for (const id of Object.keys(ADDRESS)) {
    cluster.startAgent(
      id,
      cluster.nodeFile(id, { node: { id, address: ADDRESS[id] }, dnsExternalKeyFile: bind.keyFile }),
    );
  }
  const first = await cluster.waitForLeader();
  await waitFor(
    'BIND answering both nodes',
    async () => (await bind.dig(SERVICE, 'A')).sort().join(' ') === '127.0.0.11 127.0.0.12',
    {
      timeoutMs: 20_000,
      describe: async () => (await bind.dig(SERVICE, 'A')).join(' '),
    },
  );
  // The leader refreshes its report every second: wait for the one written after the update.
  const status = await waitFor(
    'the leader reporting the external zone in sync',
    () => {
      const read = JSON.parse(cluster.clusterctl('status', '--json').stdout) as ClusterStatus;
      return read.externalDns?.report?.updater?.state === 'in-sync' ? read : undefined;
    },
    { timeoutMs: 5_000 },
  );
  t.like(status.externalDns?.report, { node: first.node, term: first.term, updater: { zone: 'example.es' } });
  t.regex(
    cluster.clusterctl('status').stdout,
    /External DNS 127\.0\.0\.1:\d+ \(zone example\.es\): in sync, sips\.example\.es -> /,
  );

  const survivor = Object.keys(ADDRESS).find((id) => id !== first.node)!;
  const killedAt = Date.now();
  await cluster.agents.get(first.node)!.stop('SIGKILL');
  await waitFor(
    `BIND answering only ${survivor}`,
    async () => (await bind.dig(SERVICE, 'A')).join(' ') === ADDRESS[survivor],
    {
      timeoutMs: MOVE_BOUND_MS,
      describe: async () => (await bind.dig(SERVICE, 'A')).join(' '),
    },
  );
  t.log(
    `the external record lost the dead leader ${Date.now() - killedAt} ms after its SIGKILL (bound ${MOVE_BOUND_MS} ms)`,
  );
  const after = JSON.parse(cluster.clusterctl('status', '--json').stdout) as ClusterStatus;
  t.is(after.externalDns?.report?.node, survivor);
});
