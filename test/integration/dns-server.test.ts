import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { NodeView } from '../../src/cluster/membership.js';
import { parseDefinition } from '../../src/config/load.js';
import type { DnsStatus } from '../../src/dns/dns-status.js';
import { DnsPublisher } from '../../src/dns/publisher.js';
import { freePort, startRedisServers, type RedisServer } from '../../src/local/redis-server.js';
import { ControlPlane } from '../../src/store/control-plane.js';
import { CLUSTERCTL_MAIN, quietLog } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { CORPUS } from '../unit/dns/corpus.js';
import { answers, dig } from './dns-dig.js';

/*
 * One real stg-dns process against three real lock members, with record sets published by the leader's publisher
 * (DnsPublisher, fenced writes) for terms the test plays. The server re-reads only every 60 s here: a new set
 * served within the bounds below came through the pub/sub signal.
 */

const DNS_MAIN = fileURLToPath(new URL('../../src/dns/main.js', import.meta.url));
const NODE_ADDRESS = '127.0.0.1';
/** A loopback address standing in for the VIP (the whole of 127/8 is local on Linux). */
const VIP = '127.0.0.53';
/** The bound on following a publication: the signal and one majority read take milliseconds. */
const FOLLOW_BOUND_MS = 2000;

let dir: string;
let members: RedisServer[];
let plane: ControlPlane;
let port: number;
let server: ChildProcess | undefined;

const nodeView = (id: string, address: string): NodeView =>
  ({
    id,
    state: 'online',
    heartbeatAgeMs: 0,
    heartbeat: { address, resources: [] },
  }) as unknown as NodeView;
const NODES = [nodeView('stg1', '127.0.0.11'), nodeView('stg2', '127.0.0.12'), nodeView('stg3', '127.0.0.13')];

function definition(service: Record<string, unknown> = {}) {
  return parseDefinition({ cluster: 'dnstest', service: { name: 'sips.example.es', ...service } }, 'test');
}

async function publish(publisher: DnsPublisher, term: number, service: Record<string, unknown> = {}) {
  return publisher.publish(term, NODES, definition(service), () => undefined);
}

const query = (name: string, type: string, extra: string[] = []) => dig(NODE_ADDRESS, port, name, type, extra);

function killServer(): void {
  if (server?.pid && server.exitCode === null) server.kill('SIGKILL');
}
process.once('exit', killServer);

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stg-dns-'));
  members = await startRedisServers(3, dir);
  port = await freePort();
  const lockMembers = members.map((member) => ({ host: member.host, port: member.port }));
  plane = new ControlPlane(lockMembers, {
    cluster: 'dnstest',
    commandTimeoutMs: 500,
    ignoreWindowMs: () => 0,
    log: quietLog,
  });
  await waitFor('the lock members identified', () => plane.members.every((member) => member.counts));
  writeFileSync(join(dir, 'cluster.yaml'), stringify({ cluster: 'dnstest', service: { name: 'sips.example.es' } }));
  writeFileSync(
    join(dir, 'node.yaml'),
    stringify({
      cluster: 'dnstest',
      node: { id: 'stg1', address: NODE_ADDRESS },
      lockMembers,
      dataStore: { host: '127.0.0.1', port: 6379 },
      paths: { stateDir: join(dir, 'state') },
      definitionFile: 'cluster.yaml',
    }),
  );
  writeFileSync(join(dir, 'clusterctl.yaml'), stringify({ cluster: 'dnstest', lockMembers }));
  await publish(new DnsPublisher(plane, 'stg1'), 2);
  server = spawn(
    process.execPath,
    [DNS_MAIN, '--node-file', join(dir, 'node.yaml'), '--port', String(port), '--refresh-ms', '60000'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await waitFor('the server answering', async () => (await query('sips.example.es', 'A')).status === 'NOERROR');
});

test.after.always(async () => {
  killServer();
  await plane?.close();
  await Promise.all((members ?? []).map((member) => member.stop('SIGKILL')));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.serial('every record type as published: SOA, NS, A, SRV, NAPTR, NODATA, NXDOMAIN, REFUSED, TCP', async (t) => {
  const soa = await query('example.es', 'SOA');
  t.true(soa.flags.includes('aa'));
  t.deepEqual(answers(soa, 'SOA'), ['stg1.example.es. hostmaster.example.es. 1 300 60 86400 10']);
  t.deepEqual(answers(await query('example.es', 'NS'), 'NS'), [
    'stg1.example.es.',
    'stg2.example.es.',
    'stg3.example.es.',
  ]);
  t.deepEqual(answers(await query('sips.example.es', 'A'), 'A'), ['127.0.0.11', '127.0.0.12', '127.0.0.13']);
  const srv = await query('_sips._tcp.sips.example.es', 'SRV');
  t.deepEqual(answers(srv, 'SRV'), [
    '10 50 5554 stg1.example.es.',
    '20 50 5554 stg2.example.es.',
    '20 50 5554 stg3.example.es.',
  ]);
  t.is(srv.additional.filter((record) => record.type === 'A').length, 3);
  t.deepEqual(answers(await query('_sip._udp.sips.example.es', 'SRV'), 'SRV')[0], '10 50 5060 stg1.example.es.');
  t.deepEqual(answers(await query('sips.example.es', 'NAPTR'), 'NAPTR'), [
    '10 10 "s" "SIPS+D2T" "" _sips._tcp.sips.example.es.',
    '20 10 "s" "SIP+D2T" "" _sip._tcp.sips.example.es.',
    '30 10 "s" "SIP+D2U" "" _sip._udp.sips.example.es.',
  ]);
  const noData = await query('sips.example.es', 'AAAA');
  t.is(noData.status, 'NOERROR');
  t.deepEqual(noData.answer, []);
  t.is(noData.authority[0]?.type, 'SOA');
  const missing = await query('nope.example.es', 'A');
  t.is(missing.status, 'NXDOMAIN');
  t.true(missing.flags.includes('aa'));
  t.is(missing.authority[0]?.type, 'SOA');
  const outside = await query('example.org', 'A');
  t.is(outside.status, 'REFUSED');
  t.false(outside.flags.includes('aa'));
  const tcp = await query('_sips._tcp.sips.example.es', 'SRV', ['+tcp']);
  t.deepEqual(answers(tcp, 'SRV'), answers(srv, 'SRV'));
});

test.serial("a new leader's set is served at once (pub/sub); a deposed leader's write is refused", async (t) => {
  const deposed = new DnsPublisher(plane, 'stg1');
  await publish(deposed, 2); // the same content in the same term: nothing to write
  t.regex((await publish(new DnsPublisher(plane, 'stg2'), 3)) ?? '', /published DNS records version 2/);
  const published = Date.now();
  await waitFor(
    'stg2 first in SRV',
    async () => answers(await query('_sips._tcp.sips.example.es', 'SRV'), 'SRV')[0]?.endsWith('stg2.example.es.'),
    { timeoutMs: FOLLOW_BOUND_MS },
  );
  t.log(`followed in ${Date.now() - published} ms (periodic re-read every 60 s)`);
  // The deposed leader of term 2 still believes it leads and publishes a change: every member's fence refuses it.
  const stale = await deposed.publish(2, NODES.slice(0, 1), definition(), () => undefined);
  t.regex(stale ?? '', /not published \(written on 0\/3 members\)/);
  const soa = await query('example.es', 'SOA');
  t.regex(answers(soa, 'SOA')[0] ?? '', /^stg2\.example\.es\. hostmaster\.example\.es\. 2 /, 'term 3 version 2 served');
});

test.serial('a truncated UDP answer is retried over TCP by dig', async (t) => {
  const zone = `${'z'.repeat(60)}.${'y'.repeat(60)}.${'x'.repeat(60)}.example.es`;
  await publish(new DnsPublisher(plane, 'stg2'), 4, { name: `sips.${zone}`, zone });
  const name = `_sips._tcp.sips.${zone}`;
  await waitFor('the long zone served', async () => (await query(name, 'SRV')).status === 'NOERROR', {
    timeoutMs: FOLLOW_BOUND_MS,
  });
  const plain = await query(name, 'SRV', ['+noedns']);
  t.true(plain.retriedOverTcp, plain.raw);
  t.is(answers(plain, 'SRV').length, 3);
  const ignored = await query(name, 'SRV', ['+noedns', '+ignore']);
  t.true(ignored.flags.includes('tc'));
  t.deepEqual(ignored.answer, []);
});

test.serial(
  'vip mode: the server also listens on the VIP and answers from it; nodes mode closes it again',
  async (t) => {
    await publish(new DnsPublisher(plane, 'stg2'), 5, { vip: `${VIP}/32` });
    const fromVip = await waitFor(
      'an answer from the VIP address',
      async () => {
        const result = await dig(VIP, port, 'sips.example.es', 'A');
        return result.status === 'NOERROR' ? result : undefined;
      },
      { timeoutMs: FOLLOW_BOUND_MS },
    );
    t.deepEqual(answers(fromVip, 'A'), [VIP]);
    t.false(fromVip.raw.includes('unexpected source'), 'the reply left from the address the query went to');
    t.deepEqual(answers(await dig(VIP, port, 'sips.example.es', 'A', ['+tcp']), 'A'), [VIP]);
    await publish(new DnsPublisher(plane, 'stg2'), 6);
    await waitFor(
      'the VIP closed',
      async () => (await dig(VIP, port, 'sips.example.es', 'A', [], { timeS: 1 })).status === 'NO ANSWER',
      {
        timeoutMs: FOLLOW_BOUND_MS + 2000,
      },
    );
    t.deepEqual(answers(await query('sips.example.es', 'A'), 'A'), ['127.0.0.12', '127.0.0.11', '127.0.0.13']);
  },
);

test.serial('malformed packets over UDP and TCP: the server keeps answering', async (t) => {
  const socket = createSocket('udp4');
  const send = (message: Buffer) =>
    new Promise<void>((resolve) => socket.send(message, port, NODE_ADDRESS, () => resolve()));
  for (const [, message] of CORPUS) await send(message);
  const random = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 512 }), { numRuns: 2000, seed: 42 });
  for (const bytes of random) await send(Buffer.from(bytes));
  socket.close();
  for (const junk of [Buffer.from([0, 1, 0xff]), Buffer.from([0, 40, 1, 2, 3]), Buffer.from([0xff, 0xff, 1])]) {
    await new Promise<void>((resolve) => {
      const stream = connect(port, NODE_ADDRESS, () => stream.end(junk));
      stream.on('error', () => resolve());
      stream.on('close', () => resolve());
      stream.resume();
    });
  }
  t.is(server?.exitCode, null, 'still running');
  t.deepEqual(answers(await query('sips.example.es', 'A'), 'A'), ['127.0.0.12', '127.0.0.11', '127.0.0.13']);
  t.is((await query('sips.example.es', 'A', ['+tcp'])).status, 'NOERROR');
  // The server reports its counters every second.
  const status = await waitFor('the FORMERR answers counted', async () => {
    const read = await clusterctlDns();
    return (read.servers[0]?.counters?.formerr ?? 0) > 0 ? read : undefined;
  });
  t.true((status.servers[0]?.counters?.dropped ?? 0) > 0, 'too short to answer: dropped');
});

test.serial('clusterctl dns: the published set, its term and version, and the server serving it', async (t) => {
  const status = await waitFor(
    'the server reporting the set it serves',
    async () => {
      const read = await clusterctlDns();
      return read.servers[0]?.status === 'current' ? read : undefined;
    },
    { timeoutMs: 5000 },
  );
  t.like(status.published, { term: 6, mode: 'nodes', zone: 'example.es', leader: 'stg2' });
  t.is(
    status.published?.zoneFile[0],
    `example.es. 10 IN SOA stg2.example.es. hostmaster.example.es. ${status.published?.version} 300 60 86400 10`,
  );
  t.like(status.servers[0], { node: 'stg1', status: 'current', listening: [`${NODE_ADDRESS}:${port}`] });
  const text = spawnSync(process.execPath, [CLUSTERCTL_MAIN, '--config', join(dir, 'clusterctl.yaml'), 'dns'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  t.is(text.status, 0, text.stderr);
  t.regex(text.stdout, /Published DNS records: term 6, version \d+ \(SOA serial\), by stg2/);
  t.regex(text.stdout, /stg1\s+current\s+term 6 version \d+\s+127\.0\.0\.1:\d+/);
});

async function clusterctlDns(): Promise<DnsStatus> {
  const run = spawnSync(
    process.execPath,
    [CLUSTERCTL_MAIN, '--config', join(dir, 'clusterctl.yaml'), 'dns', '--json'],
    {
      encoding: 'utf8',
      timeout: 10_000,
    },
  );
  if (run.status !== 0) throw new Error(`clusterctl dns failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as DnsStatus;
}
