import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { pino } from 'pino';
import type { UpdateFailure } from '../../../src/dns/external/answer-code.js';
import type { ExternalDnsConfig } from '../../../src/dns/external/config.js';
import type { NsupdateRunner } from '../../../src/dns/external/nsupdate.js';
import type { NameRecords } from '../../../src/dns/external/records.js';
import { ExternalZoneUpdater } from '../../../src/dns/external/updater.js';
import { waitFor } from '../../helpers/wait.js';

/*
 * The worker's rules with the server replaced by a fake: one nsupdate at a time, only the newest set applied,
 * invalid and stale sets refused, close() cutting a running update short. The real server is in
 * test/integration/dns-external.test.ts.
 */

const test = anyTest as TestFn<{ dir: string; config: ExternalDnsConfig }>;
const quiet = pino({ level: 'silent' });

test.beforeEach((t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stg-updater-'));
  const keyFile = join(dir, 'ddns.key');
  writeFileSync(keyFile, 'key "stg-ddns" { algorithm hmac-sha256; secret "c2VjcmV0"; };\n');
  t.context = {
    dir,
    config: {
      server: '192.0.2.53',
      port: 53,
      zone: 'example.es',
      keyFile,
      timeoutMs: 1_000,
      backoff: { initialMs: 10, maxMs: 40, factor: 2 },
      verifyIntervalMs: 60_000,
    },
  };
});

test.afterEach.always((t) => rmSync(t.context.dir, { recursive: true, force: true }));

const records = (a: string[]) => ({ name: 'sips.example.es', ttlS: 30, a, aaaa: [] });
const empty: NameRecords = { name: 'sips.example.es', a: undefined, aaaa: undefined };

/** An nsupdate that waits until the test lets it finish, counting how many run at once. */
function gatedNsupdate() {
  const scripts: string[] = [];
  const gates: ((failure?: UpdateFailure) => void)[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const nsupdate: NsupdateRunner = (script) => {
    scripts.push(script);
    running += 1;
    mostAtOnce = Math.max(mostAtOnce, running);
    return new Promise((resolve) =>
      gates.push((failure) => {
        running -= 1;
        resolve(failure);
      }),
    );
  };
  return { nsupdate, scripts, gates, mostAtOnce: () => mostAtOnce };
}

test('sets given while an update runs are coalesced: one nsupdate at a time, then only the newest set', async (t) => {
  const fake = gatedNsupdate();
  const updater = new ExternalZoneUpdater(t.context.config, quiet, {
    nsupdate: fake.nsupdate,
    readRecords: async () => empty,
  });
  try {
    updater.sync(records(['192.0.2.1']), 1);
    await waitFor('the first nsupdate', () => fake.scripts.length === 1);
    t.is(updater.status().state, 'updating');
    updater.sync(records(['192.0.2.2']), 1);
    updater.sync(records(['192.0.2.3']), 2);
    t.like(updater.status().pending, { term: 2, records: records(['192.0.2.3']) });
    fake.gates.shift()!();
    await waitFor('the second nsupdate', () => fake.scripts.length === 2);
    // Built from what the first update wrote, without reading the server again.
    t.true(fake.scripts[1]!.includes('prereq yxrrset sips.example.es. A 192.0.2.1\n'), fake.scripts[1]);
    t.true(fake.scripts[1]!.includes('update add sips.example.es. 30 A 192.0.2.3\n'), fake.scripts[1]);
    t.false(fake.scripts.join('').includes('192.0.2.2'));
    fake.gates.shift()!();
    await waitFor('in sync', () => updater.status().state === 'in-sync');
    t.is(fake.mostAtOnce(), 1);
    t.like(updater.status().lastSuccess, { term: 2, changed: true, records: records(['192.0.2.3']) });
  } finally {
    await updater.close();
  }
});

test('a set that cannot be published is refused with its reason and nothing is sent or retried', async (t) => {
  const fake = gatedNsupdate();
  const updater = new ExternalZoneUpdater(t.context.config, quiet, {
    nsupdate: fake.nsupdate,
    readRecords: async () => empty,
  });
  try {
    updater.sync({ name: 'sips.example.com', ttlS: 30, a: ['192.0.2.1'], aaaa: [] }, 1);
    const status = updater.status();
    t.is(status.state, 'invalid');
    t.like(status.lastFailure, {
      kind: 'invalid',
      term: 1,
      reason: 'name sips.example.com is not inside zone example.es',
    });
    t.is(status.lastFailure?.nextRetryAt, undefined);
    t.is(status.consecutiveFailures, 0);
    updater.sync(records(['192.0.2.1']), 1);
    await waitFor('a valid set sent', () => fake.scripts.length === 1);
    t.is(fake.scripts.filter((script) => script.includes('example.com')).length, 0);
    fake.gates.shift()!();
  } finally {
    await updater.close();
  }
});

test('a set of an older term than one already seen is ignored', async (t) => {
  const fake = gatedNsupdate();
  const updater = new ExternalZoneUpdater(t.context.config, quiet, {
    nsupdate: fake.nsupdate,
    readRecords: async () => empty,
  });
  try {
    updater.sync(records(['192.0.2.7']), 7);
    updater.sync(records(['192.0.2.6']), 6);
    t.like(updater.status().pending, { term: 7, records: records(['192.0.2.7']) });
    await waitFor('one nsupdate', () => fake.scripts.length === 1);
    t.true(fake.scripts[0]!.includes('A 192.0.2.7'));
    fake.gates.shift()!();
  } finally {
    await updater.close();
  }
});

test('an unreadable key file is a failure of its own kind, retried with backoff, and no update is sent', async (t) => {
  const fake = gatedNsupdate();
  const config = { ...t.context.config, keyFile: join(t.context.dir, 'missing.key') };
  const updater = new ExternalZoneUpdater(config, quiet, { nsupdate: fake.nsupdate, readRecords: async () => empty });
  try {
    updater.sync(records(['192.0.2.1']), 1);
    await waitFor('two failures', () => updater.status().consecutiveFailures >= 2);
    t.like(updater.status().lastFailure, {
      kind: 'key-file',
      reason: `TSIG key file ${config.keyFile}: cannot be read (ENOENT)`,
    });
    t.is(fake.scripts.length, 0);
  } finally {
    await updater.close();
  }
});

test('close() cuts a running nsupdate short and later sets are ignored', async (t) => {
  let started = false;
  let aborted = false;
  const nsupdate: NsupdateRunner = (_script, { signal }) => {
    started = true;
    return new Promise((resolve) =>
      signal?.addEventListener('abort', () => {
        aborted = true;
        resolve({ kind: 'internal', reason: 'cancelled' });
      }),
    );
  };
  const updater = new ExternalZoneUpdater(t.context.config, quiet, { nsupdate, readRecords: async () => empty });
  updater.sync(records(['192.0.2.1']), 1);
  await waitFor('nsupdate running', () => started);
  t.is(updater.status().state, 'updating');
  await updater.close();
  t.true(aborted);
  updater.sync(records(['192.0.2.2']), 2);
  t.is(updater.status().state, 'closed');
  t.is(updater.status().lastFailure, undefined);
});

test('close() while the records are being read sends no update', async (t) => {
  let reading = false;
  let sent = 0;
  const readRecords = (_target: unknown, _name: string, signal = (_target as { signal?: AbortSignal }).signal) =>
    new Promise<NameRecords>((resolve) => {
      reading = true;
      // A reader that ignores the abort, as a slow server would: the round must still stop before nsupdate.
      signal?.addEventListener('abort', () => setTimeout(() => resolve(empty), 10));
    });
  const updater = new ExternalZoneUpdater(t.context.config, quiet, {
    nsupdate: async () => ((sent += 1), undefined),
    readRecords,
  });
  updater.sync(records(['192.0.2.1']), 1);
  await waitFor('reading', () => reading);
  await updater.close();
  t.is(sent, 0);
});
