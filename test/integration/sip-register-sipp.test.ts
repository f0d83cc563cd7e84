import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { RedisServer } from '../../src/local/redis-server.js';
import { parseBinding } from '../../src/sip/registrar/index.js';
import { FIXTURES } from '../fixtures/sip/fixtures.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';
import { waitFor } from '../helpers/wait.js';

// SIPp (Debian's sip-tester) as devices registering through a running stg-sip-proxy over UDP and TCP, its bindings
// in a real redis-server: register, refresh, 423, un-register, Contact: *. The records are then read from Redis in
// Flexisip's format, and the PUBLISH on each AOR channel is seen by a subscriber.

const CALLS = 5;
let proxy: ProxyProcess;
let server: RedisServer;
let redis: Redis;
let subscriber: Redis;
let workDir: string;
const published: [string, string][] = [];

test.before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'stg-sipp-register-'));
  server = await RedisServer.start({ dir: join(workDir, 'redis'), durable: false });
  redis = new Redis({ host: server.host, port: server.port });
  subscriber = new Redis({ host: server.host, port: server.port });
  subscriber.on('pmessage', (_pattern: string, channel: string, field: string) => published.push([channel, field]));
  await subscriber.psubscribe('*@sips.example.es');
  proxy = await ProxyProcess.start({
    listen: [
      { transport: 'udp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: '127.0.0.1', port: 0 },
    ],
    dataStore: { host: server.host, port: server.port },
    registrar: {
      domains: ['sips.example.es'],
      minExpiresS: 60,
      path: { uri: 'sip:10.0.0.1:5556;transport=tcp', proxyId: 'stg1' },
    },
  });
  // Until its Redis connection is up the registrar answers 503, which SIPp would count as a failed call.
  await waitFor('the registrar connected to Redis', () =>
    proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
  );
});

test.after.always(async () => {
  await proxy?.stop();
  subscriber?.disconnect();
  redis?.disconnect();
  await server?.stop('SIGKILL');
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function sipp(scenario: string, transport: 'udp' | 'tcp', prefix: string) {
  const { port } = proxy.listener(transport);
  const run = execa(
    'sipp',
    [
      ...['-sf', `${FIXTURES}sipp/${scenario}`, '-t', transport === 'udp' ? 'u1' : 't1', '-i', '127.0.0.1', '-p', '0'],
      ...['-key', 'prefix', prefix, '-m', String(CALLS), '-r', '50', '-timeout', '20s', '-timeout_error', '-nostdin'],
      `127.0.0.1:${port}`,
    ],
    { cwd: workDir, timeout: 30_000, reject: false },
  );
  const result = await run;
  return {
    ok: result.exitCode === 0,
    output: `${result.stdout.slice(-1500)}\n${result.stderr}`,
    stdout: result.stdout,
  };
}

for (const transport of ['udp', 'tcp'] as const) {
  test.serial(
    `SIPp over ${transport.toUpperCase()}: register with instance, push and Path; refresh; 423`,
    async (t) => {
      const prefix = `dev-${transport}-`;
      const result = await sipp('register-device.xml', transport, prefix);
      t.true(result.ok, result.output);
      t.regex(result.stdout, new RegExp(`Successful call\\s+\\|\\s+0\\s+\\|\\s+${CALLS}\\s`));

      for (let n = 1; n <= CALLS; n++) {
        const aor = `${prefix}${n}@sips.example.es`;
        const field = `"<urn:uuid:00000000-0000-4000-8000-${n}>"`;
        const record = await redis.hgetall(`fs:${aor}`);
        t.deepEqual(Object.keys(record), [field], `one binding under the raw +sip.instance of ${aor}`);
        const value = record[field]!;
        t.regex(
          value,
          new RegExp(
            `^"Device ${n}" <sip:${prefix}${n}@127\\.0\\.0\\.1:\\d+;pn-provider=fcm;pn-prid=token-${prefix}-${n}:APA91b;` +
              `pn-param=917288118967;pn-silent=1;transport=${transport.toUpperCase()};fs-conn-id=[0-9a-f]{16};callid=[^;]+;` +
              `expires=1200;cseq=2;updatedAt=\\d+;alias=no;usedAsRoute=no\\?` +
              `path=%3Csip%3A10\\.0\\.0\\.1%3A5556%3Btransport%3Dtcp%3Bfs-proxy-id%3Dstg1%3Blr%3E%2C%3Csip%3Aedge\\.example\\.es%3A5554%3Blr%3E` +
              `&accept=application/sdp%2Ctext/plain&user-agent=SIPp%20registrar%20test>;` +
              `\\+sip\\.instance=${field};\\+org\\.linphone\\.specs="groupchat,lime";pub-gruu="sip:${aor};gr=urn:uuid:00000000-0000-4000-8000-${n}"$`,
          ),
        );
        const parsed = parseBinding(value);
        t.true(parsed.ok && parsed.binding.expires === 1200 && parsed.binding.cseq === 2);
        const ttl = await redis.ttl(`fs:${aor}`);
        t.true(ttl > 1100 && ttl <= 1200, `the key expires with its binding (ttl ${ttl})`);
        t.true(
          published.some(([channel, message]) => channel === aor && message === field),
          `PUBLISH ${aor} ${field} seen`,
        );
      }
    },
  );

  test.serial(`SIPp over ${transport.toUpperCase()}: un-register (expires 0), register, Contact: *`, async (t) => {
    const prefix = `rm-${transport}-`;
    const result = await sipp('register-remove.xml', transport, prefix);
    t.true(result.ok, result.output);
    t.regex(result.stdout, new RegExp(`Successful call\\s+\\|\\s+0\\s+\\|\\s+${CALLS}\\s`));
    t.deepEqual(await redis.keys(`fs:${prefix}*`), []);
    const removals = published.filter(([channel]) => channel.startsWith(prefix));
    t.is(removals.length, CALLS * 4, 'register, un-register, register and clear each published the field');
  });
}
