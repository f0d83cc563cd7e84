import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Redis } from 'ioredis';
import { RedisServer } from '../../src/local/redis-server.js';
import { UdpClient, type Reply } from '../fixtures/sip/clients.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { waitFor } from '../helpers/wait.js';

// A running stg-sip-proxy whose data Redis stops answering (SIGSTOP): REGISTERs beyond the in-flight bound get 503
// with Retry-After at once, the ones waiting for Redis get 503 when their write times out, none gets 200; after
// SIGCONT the next REGISTERs are stored and answered 200. Also: a UDP retransmission is answered twice, stored once.

const IN_FLIGHT = 4;
let proxy: ProxyProcess;
let server: RedisServer;
let redis: Redis;
let client: UdpClient;
let workDir: string;

test.before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'stg-register-overload-'));
  server = await RedisServer.start({ dir: join(workDir, 'redis'), durable: false });
  redis = new Redis({ host: server.host, port: server.port });
  proxy = await ProxyProcess.start({
    listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }],
    limits: { exemptSources: ['127.0.0.1'] },
    dataStore: { host: server.host, port: server.port },
    registrar: { domains: ['sips.example.es'], maxInFlight: IN_FLIGHT, writeTimeoutMs: 400, retryAfterS: 2 },
  });
  await waitFor('the registrar connected to Redis', () =>
    proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
  );
  client = await UdpClient.open();
});

test.after.always(async () => {
  client?.close();
  await proxy?.stop();
  server?.resume();
  redis?.disconnect();
  await server?.stop('SIGKILL');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function register(user: string, cseq = 1): Buffer {
  return Buffer.from(
    [
      'REGISTER sip:sips.example.es SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:${client.port};branch=z9hG4bK-${user}-${cseq};rport`,
      'Max-Forwards: 70',
      `From: <sip:${user}@sips.example.es>;tag=${user}`,
      `To: <sip:${user}@sips.example.es>`,
      `Call-ID: ${user}-call`,
      `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:${user}@127.0.0.1:${client.port}>;+sip.instance="<urn:uuid:${user}>"`,
      'Expires: 600',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

async function send(bytes: Buffer): Promise<void> {
  await client.send(bytes, '127.0.0.1', proxy.listener('udp').port);
}

async function replies(count: number): Promise<Reply[]> {
  const got: Reply[] = [];
  for (let i = 0; i < count; i++) got.push(await client.next(`reply ${i + 1} of ${count}`, 10_000));
  return got;
}

test.serial('a retransmitted REGISTER over UDP is answered 200 each time and stored once', async (t) => {
  await send(register('retrans'));
  await send(register('retrans'));
  const [first, second] = await replies(2);
  t.is(first!.status, 200);
  t.is(second!.status, 200);
  const stored = await redis.hgetall('fs:retrans@sips.example.es');
  t.deepEqual(Object.keys(stored), ['"<urn:uuid:retrans>"']);
});

test.serial(
  'Redis paused: 503 at once beyond the in-flight bound, 503 on write timeout, never 200; recovers',
  async (t) => {
    server.pause();
    let paused = true;
    t.teardown(() => {
      if (paused) server.resume();
    });
    const users = Array.from({ length: 20 }, (_, i) => `paused${i}`);
    for (const user of users) await send(register(user));
    const answers = await replies(users.length);
    t.true(
      answers.every((reply) => reply.status === 503 && /\r\nRetry-After: \d+\r\n/.test(reply.text)),
      answers.map((reply) => `${reply.status} ${reply.reason}`).join(', '),
    );
    const reasons = answers.map((reply) => reply.reason);
    t.is(reasons.filter((reason) => reason === 'Registration Not Stored').length, IN_FLIGHT);
    t.is(reasons.filter((reason) => reason === 'Overloaded').length, users.length - IN_FLIGHT);
    t.deepEqual(
      reasons.slice(0, users.length - IN_FLIGHT),
      Array(users.length - IN_FLIGHT).fill('Overloaded'),
      'the rejections came at once, before any write waiting for Redis was answered',
    );

    server.resume();
    paused = false;
    // One at a time: Redis first works off the writes that timed out, and more than IN_FLIGHT at once would be refused.
    const after = Array.from({ length: 5 }, (_, i) => `resumed${i}`);
    const recovered: Reply[] = [];
    for (const user of after) {
      await send(register(user));
      recovered.push(...(await replies(1)));
    }
    t.deepEqual(
      recovered.map((reply) => `${reply.status} ${reply.reason}`),
      after.map(() => '200 OK'),
    );
    for (const reply of recovered) {
      const user = reply.callId!.replace(/-call$/, '');
      t.is(
        await redis.hexists(`fs:${user}@sips.example.es`, `"<urn:uuid:${user}>"`),
        1,
        `${user}'s 200 has its binding`,
      );
    }
  },
);
