import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { LocalDomainAuth } from '../../../../src/sip/auth/config.js';
import { CredentialStore } from '../../../../src/sip/auth/credential-store.js';
import { waitFor } from '../../../helpers/wait.js';
import { captureLog } from '../../../fixtures/sip/auth/log-capture.js';

// Credentials are read again when a file changes (also when it is replaced by a rename, as editors do) and on
// SIGHUP; a file that became invalid is refused with one error line and the users read before stay.

function setUp(t: ExecutionContext) {
  const dir = mkdtempSync(join(tmpdir(), 'stg-sip-auth-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'users.yaml');
  const write = (text: string) => {
    // Written aside and renamed over the file: the way an editor or config management replaces it.
    writeFileSync(`${file}.new`, text);
    renameSync(`${file}.new`, file);
  };
  write('users:\n  alice: { password: "wonderland" }\n');
  const domain: LocalDomainAuth = {
    mode: 'local',
    domain: 'example.com',
    realm: 'example.com',
    credentialsFile: file,
    algorithms: ['SHA-256', 'MD5'],
    identity: 'strict',
  };
  const capture = captureLog();
  const store = CredentialStore.load([domain, { mode: 'pass-through', domain: 'pbx.example.net' }], capture.log);
  return { store, write, capture, file };
}

test('a changed file is read again; an invalid one is refused and the users before are kept', async (t) => {
  const { store, write, capture, file } = setUp(t);
  t.truthy(store.lookup('example.com', 'alice'));
  t.is(store.lookup('example.com', 'bob'), undefined);
  const stop = store.watch({ signal: null });
  t.teardown(stop);
  write('users:\n  alice: { password: "wonderland" }\n  bob: { password: "builder" }\n');
  await waitFor('bob to be read from the changed file', () => store.lookup('example.com', 'bob'), { timeoutMs: 5000 });
  t.is(store.userCount('example.com'), 2);

  write('users:\n  alice: { password: "wonderland" }\n  carol: {}\n');
  const refused = await waitFor(
    'the invalid file to be refused',
    () => capture.lines().find((line) => line['msg'] === 'credentials file refused, the users read before are kept'),
    { timeoutMs: 5000 },
  );
  t.like(refused, { level: 50, domain: 'example.com', usersKept: 2 });
  t.deepEqual(refused['problems'], [
    `${file}: users.carol: expected a password or at least one HA1 (ha1-sha256, ha1-md5)`,
  ]);
  t.truthy(store.lookup('example.com', 'bob'), 'the users read before are still there');
});

test('SIGHUP reads every file again; stopping removes the handler', async (t) => {
  const { store, write, capture } = setUp(t);
  const handlersBefore = process.listenerCount('SIGHUP');
  // Changed before watching starts, so that only the signal can make it read.
  write('users:\n  dave: { password: "x" }\n');
  const stop = store.watch();
  t.teardown(stop);
  t.is(process.listenerCount('SIGHUP'), handlersBefore + 1);
  t.is(store.lookup('example.com', 'dave'), undefined);
  process.kill(process.pid, 'SIGHUP');
  await waitFor('dave to be read after SIGHUP', () => store.lookup('example.com', 'dave'), { timeoutMs: 5000 });
  t.is(store.lookup('example.com', 'alice'), undefined, 'a user removed from the file is gone');
  t.like(
    capture.lines().find((line) => line['msg'] === 'credentials reloaded'),
    { trigger: 'SIGHUP', users: 1, domain: 'example.com' },
  );
  stop();
  t.is(process.listenerCount('SIGHUP'), handlersBefore);
});
