import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { RedisServer } from '../../src/local/redis-server.js';
import { PushKeys } from '../../src/push/keys.js';
import { PushWorker } from '../../src/push/worker.js';
import { silentLog } from '../../src/silent-log.js';
import { apnsToken, BED, fcmToken, providersFrom, PushBed } from '../helpers/push-emulators/push-bed.js';

const CLUSTERCTL = fileURLToPath(new URL('../../src/cli/clusterctl.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'stg-push-ctl-'));
let bed: PushBed;
let server: RedisServer;
let redis: Redis;
let worker: PushWorker;
let closeProviders: () => Promise<unknown>;
let nodeFile: string;

/** A binding as Flexisip serializes it (seed/README.md), with the given URI parameters. */
function contact(user: string, uriParams: string, instance: string): string {
  return (
    `"${user}" <sip:${user}@79.146.86.86:33030;${uriParams};transport=tls;fs-conn-id=ee1a796332c7cc1a;callid=iZZ9Nq8ars;` +
    `expires=36000;cseq=21;updatedAt=${Math.floor(Date.now() / 1000)};alias=no;usedAsRoute=no?path=%3Csips%3A89.140.51.149%3A5554%3Blr%3E` +
    `&user-agent=LinphoneAndroid/5.2.0>;+sip.instance="<${instance}>";+org.linphone.specs="ephemeral/1.1,groupchat/1.2,lime"`
  );
}

test.before(async () => {
  [bed, server] = await Promise.all([
    PushBed.start(join(dir, 'bed')),
    RedisServer.start({ dir: join(dir, 'redis'), durable: false }),
  ]);
  redis = new Redis({ host: server.host, port: server.port });
  nodeFile = join(dir, 'node.yaml');
  writeFileSync(
    nodeFile,
    stringify({
      cluster: 'test',
      lockMembers: [{ host: '127.0.0.1', port: 1 }],
      dataStore: { host: server.host, port: server.port },
    }),
  );
  const { config, providers } = await providersFrom(bed.configFile);
  closeProviders = () => Promise.all([providers.fcm?.close(), providers.apns?.close()]);
  worker = new PushWorker({
    redis,
    keys: new PushKeys(config.queue.prefix),
    queue: config.queue,
    retry: config.retry,
    invalidTokenTtlS: config.invalidTokenTtlS,
    consumer: 'clusterctl-test',
    providers,
    log: silentLog,
  });
  await worker.start();
});
test.after.always(async () => {
  await worker?.stop(1000);
  await closeProviders?.();
  redis?.disconnect();
  await Promise.all([bed?.close(), server?.stop('SIGKILL')]);
  rmSync(dir, { recursive: true, force: true });
});

async function clusterctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [
      CLUSTERCTL,
      '-c',
      nodeFile,
      ...args,
      '--push-config',
      bed.configFile,
    ]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test.serial('push test sends to every device of the AOR and prints each provider answer', async (t) => {
  const aor = '40004*01@sips.example.es';
  const android = fcmToken(1);
  const [voip, remote, gone] = [apnsToken(1), apnsToken(2), apnsToken(3)];
  const androidDevice = bed.fcm.device(android, BED.fcmProjectId);
  const iphone = bed.apns.device(voip, BED.bundle, 'voip');
  bed.apns.device(gone, BED.bundle, 'voip').unregister();
  await redis.hset(`fs:${aor}`, {
    '"<urn:uuid:aaaaaaaa-0000-4000-8000-000000000001>"': contact(
      'android',
      `pn-prid=${android};pn-provider=fcm;pn-param=${BED.fcmProject};pn-silent=1;pn-timeout=0`,
      'urn:uuid:aaaaaaaa-0000-4000-8000-000000000001',
    ),
    '"<urn:uuid:aaaaaaaa-0000-4000-8000-000000000002>"': contact(
      'iphone',
      `pn-prid=${voip}:voip%26${remote}:remote;pn-provider=apns;pn-param=${BED.teamId}.${BED.bundle}.voip%26remote`,
      'urn:uuid:aaaaaaaa-0000-4000-8000-000000000002',
    ),
    '"<urn:uuid:aaaaaaaa-0000-4000-8000-000000000003>"': contact(
      'old-iphone',
      `pn-type=apple;pn-tok=${gone}:voip;app-id=${BED.bundle}.voip.prod`,
      'urn:uuid:aaaaaaaa-0000-4000-8000-000000000003',
    ),
    '"<urn:uuid:aaaaaaaa-0000-4000-8000-000000000004>"': contact(
      'deskphone',
      'ob',
      'urn:uuid:aaaaaaaa-0000-4000-8000-000000000004',
    ),
  });

  const { code, stdout } = await clusterctl('push', 'test', `sip:${aor}`, '--timeout', '10');
  t.is(code, 1, 'not every device was reached');
  const line = (n: string) =>
    stdout.split('\n').find((row) => row.startsWith(`"<urn:uuid:aaaaaaaa-0000-4000-8000-00000000${n}>"`)) ?? '';
  t.regex(stdout, /^push test 40004\*01@sips\.example\.es: 2\/4 device\(s\) reached their provider/);
  t.regex(line('0001'), /fcm\s+c00000\.\.\.xxx1\s+delivered\s+200 projects\/stg-test-project\/messages\//);
  t.regex(line('0002'), /apns\/voip\s+\S+\s+delivered\s+200 apns-id=/);
  t.regex(line('0003'), /apns\/voip\s+\S+\s+failed \(invalid-token\)\s+410 Unregistered/);
  t.regex(line('0004'), /-\s+-\s+not sent\s+no push parameters/);
  t.is(androidDevice.pushes.length, 1);
  const payload = iphone.pushes[0]?.payload as { aps: Record<string, unknown> };
  t.regex(String(payload.aps['call-id']), /^stg-push-test-/);
  t.is(payload.aps['loc-key'], 'IC_MSG');
});

test.serial('push test exits 0 when every device was reached, and says so when the AOR has none', async (t) => {
  const aor = 'solo@sips.example.es';
  const token = fcmToken(2);
  bed.fcm.device(token, BED.fcmProjectId);
  await redis.hset(
    `fs:${aor}`,
    '"<urn:uuid:bbbbbbbb-0000-4000-8000-000000000001>"',
    contact(
      'solo',
      `pn-prid=${token};pn-provider=fcm;pn-param=${BED.fcmProject}`,
      'urn:uuid:bbbbbbbb-0000-4000-8000-000000000001',
    ),
  );
  const reached = await clusterctl('push', 'test', aor, '--timeout', '10');
  t.is(reached.code, 0, reached.stdout + reached.stderr);
  const nobody = await clusterctl('push', 'test', 'nobody@sips.example.es');
  t.is(nobody.code, 1);
  t.regex(nobody.stdout, /no registered device \(no fs:nobody@sips\.example\.es record\)/);
  const bad = await clusterctl('push', 'test', aor, '--timeout', 'soon');
  t.is(bad.code, 1);
  t.regex(bad.stderr, /--timeout takes 1-600 seconds/);
});
