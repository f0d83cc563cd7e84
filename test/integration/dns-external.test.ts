import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { pino } from 'pino';
import { parseExternalDnsConfig, type ExternalDnsConfig } from '../../src/dns/external/config.js';
import { runNsupdate } from '../../src/dns/external/nsupdate.js';
import { ExternalZoneUpdater } from '../../src/dns/external/updater.js';
import { BindServer } from '../helpers/bind-server.js';
import { waitFor } from '../helpers/wait.js';

/*
 * RFC 2136 updates against a real BIND on loopback: the record moves, a wrong key is refused with the server's
 * answer code, a change behind our back is detected by the prerequisite and overwritten, and an outage is retried
 * with a growing backoff until BIND is back. Serial: every test works on the same name of the same server.
 */

interface Context {
  dir: string;
  bind: BindServer;
}

const test = anyTest as TestFn<Context>;
const NAME = 'sips.example.es';

test.before(async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stg-dns-external-'));
  t.context.dir = dir;
  t.context.bind = await BindServer.start({ dir: join(dir, 'bind'), records: [`sips 30 IN A 192.0.2.10`] });
});

test.after.always(async (t) => {
  await t.context.bind?.stop();
  if (t.context.dir) rmSync(t.context.dir, { recursive: true, force: true });
});

/** A logger whose JSON lines are kept, to check what operators would read. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines, messages: () => lines.map((line) => String(line['msg'])) };
}

function configFor(
  bind: BindServer,
  overrides: Record<string, unknown> = {},
  keyFile = bind.keyFile,
): ExternalDnsConfig {
  return parseExternalDnsConfig(
    { server: '127.0.0.1', port: bind.port, zone: 'example.es', timeoutMs: 2_000, ...overrides },
    keyFile,
  );
}

const records = (a: string[], aaaa: string[] = []) => ({ name: NAME, ttlS: 30, a, aaaa });

test.serial('moves the A record from one address to another, then adds AAAA, in one update each', async (t) => {
  const { bind } = t.context;
  const scripts: string[] = [];
  const updater = new ExternalZoneUpdater(configFor(bind), capturedLog().log, {
    nsupdate: (script, options) => (scripts.push(script), runNsupdate(script, options)),
  });
  try {
    t.deepEqual(await bind.dig(NAME, 'A'), ['192.0.2.10']);
    updater.sync(records(['192.0.2.11']), 1);
    await waitFor('the A record at 192.0.2.11', async () => (await bind.dig(NAME, 'A')).join() === '192.0.2.11');
    await waitFor('in-sync status', () => updater.status().state === 'in-sync');
    t.like(updater.status().lastSuccess, { term: 1, changed: true, records: records(['192.0.2.11']) });
    t.true(scripts[0]?.includes(`prereq yxrrset ${NAME}. A 192.0.2.10\n`), scripts[0]);

    // Three sets in a row: only the newest is applied, by one nsupdate.
    updater.sync(records(['192.0.2.12']), 2);
    updater.sync(records(['192.0.2.13'], ['2001:db8::1']), 2);
    updater.sync(records(['192.0.2.12', '192.0.2.14'], ['2001:0db8:0:0::12']), 2);
    await waitFor('the newest set', async () => (await bind.dig(NAME, 'AAAA')).join() === '2001:db8::12');
    t.deepEqual(await bind.dig(NAME, 'A'), ['192.0.2.12', '192.0.2.14']);
    t.is(scripts.length, 2, scripts.join('---\n'));
    t.like(updater.status(), { state: 'in-sync', consecutiveFailures: 0, conflicts: 0, pending: undefined });
  } finally {
    await updater.close();
  }
});

test.serial('a wrong TSIG key is refused: the status names NOTAUTH(BADSIG) and the record stays', async (t) => {
  const { bind, dir } = t.context;
  const before = await bind.dig(NAME, 'A');
  const wrongKey = await bind.writeWrongKeyFile(join(dir, 'wrong.key'));
  const updater = new ExternalZoneUpdater(configFor(bind, {}, wrongKey), capturedLog().log);
  try {
    updater.sync(records(['192.0.2.99']), 3);
    const failure = await waitFor('a failure', () => updater.status().lastFailure);
    t.like(failure, { kind: 'not-authorized', rcode: 'NOTAUTH', tsigError: 'BADSIG', term: 3 });
    t.regex(failure.reason, /NOTAUTH\(BADSIG\)/);
    t.truthy(failure.nextRetryAt);
    t.is(updater.status().state, 'retrying');
    t.deepEqual(await bind.dig(NAME, 'A'), before);
  } finally {
    await updater.close();
  }
});

test.serial(
  'a record changed behind our back fails the prerequisite; the updater re-reads and converges',
  async (t) => {
    const { bind } = t.context;
    const { log, messages } = capturedLog();
    const updater = new ExternalZoneUpdater(configFor(bind), log);
    try {
      updater.sync(records(['192.0.2.21']), 4);
      await waitFor('192.0.2.21', async () => (await bind.dig(NAME, 'A')).join() === '192.0.2.21');
      await bind.updateBehindOurBack([`update delete ${NAME}. A`, `update add ${NAME}. 30 A 203.0.113.9`]);
      t.deepEqual(await bind.dig(NAME, 'A'), ['203.0.113.9']);

      updater.sync(records(['192.0.2.22']), 4);
      await waitFor('192.0.2.22', async () => (await bind.dig(NAME, 'A')).join() === '192.0.2.22');
      await waitFor('in-sync status', () => updater.status().state === 'in-sync');
      const status = updater.status();
      t.is(status.conflicts, 1);
      t.like(status.lastFailure, { kind: 'prerequisite', rcode: 'NXRRSET' });
      t.is(status.lastFailure?.nextRetryAt, undefined);
      t.like(status.lastSuccess, { term: 4, changed: true });
      t.true(
        messages().some(
          (message) => message.startsWith('prerequisite failed (NXRRSET)') && message.includes('someone else'),
        ),
        messages().join('\n'),
      );
    } finally {
      await updater.close();
    }
  },
);

test.serial('while in sync, a change behind our back is seen on the next read-back and undone', async (t) => {
  const { bind } = t.context;
  const { log, messages } = capturedLog();
  const updater = new ExternalZoneUpdater(configFor(bind, { verifyIntervalMs: 200 }), log);
  try {
    updater.sync(records(['192.0.2.31']), 5);
    await waitFor('192.0.2.31', async () => (await bind.dig(NAME, 'A')).join() === '192.0.2.31');
    await bind.updateBehindOurBack([`update delete ${NAME}. A`, `update add ${NAME}. 30 A 203.0.113.7`]);
    await waitFor('192.0.2.31 again', async () => (await bind.dig(NAME, 'A')).join() === '192.0.2.31', {
      timeoutMs: 5_000,
    });
    t.true(
      messages().some((message) => message.includes('changed behind our back')),
      messages().join('\n'),
    );
    t.is(updater.status().conflicts, 0);
  } finally {
    await updater.close();
  }
});

test.serial(
  'BIND stopped: failures with a growing backoff in the status; BIND back: the record converges',
  async (t) => {
    const { bind } = t.context;
    const { log, lines } = capturedLog();
    const backoff = { initialMs: 50, maxMs: 400, factor: 2 };
    const updater = new ExternalZoneUpdater(configFor(bind, { backoff }), log);
    try {
      updater.sync(records(['192.0.2.41']), 6);
      await waitFor('192.0.2.41', async () => (await bind.dig(NAME, 'A')).join() === '192.0.2.41');
      await bind.stop();

      updater.sync(records(['192.0.2.42']), 7);
      await waitFor('five failed attempts', () => updater.status().consecutiveFailures >= 5, { timeoutMs: 5_000 });
      const status = updater.status();
      t.is(status.state, 'retrying');
      t.like(status.lastFailure, { kind: 'unreachable', term: 7 });
      t.regex(status.lastFailure?.reason ?? '', /connection refused/);
      t.true(Date.parse(status.lastFailure!.nextRetryAt!) >= Date.parse(status.lastFailure!.at));
      t.like(status.pending, { term: 7, records: records(['192.0.2.42']) });
      const waits = lines.filter((line) => typeof line['retryInMs'] === 'number').map((line) => line['retryInMs']);
      t.deepEqual(waits.slice(0, 5), [50, 100, 200, 400, 400]);

      await bind.restart();
      await waitFor('192.0.2.42 after the restart', async () => (await bind.dig(NAME, 'A')).join() === '192.0.2.42', {
        timeoutMs: 5_000,
      });
      await waitFor('in-sync status', () => updater.status().state === 'in-sync');
      t.like(updater.status(), { consecutiveFailures: 0, pending: undefined, lastSuccess: { term: 7, changed: true } });
      t.is(updater.status().lastFailure?.nextRetryAt, undefined);
    } finally {
      await updater.close();
    }
  },
);
