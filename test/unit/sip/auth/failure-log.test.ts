import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import {
  AUTH_FAILURE_REASONS,
  FAIL2BAN_FAILREGEX,
  ROUTINE_REASONS,
  logAuthFailure,
  type AuthFailureReason,
} from '../../../../src/sip/auth/failure-log.js';
import { captureLog } from '../../../fixtures/sip/auth/log-capture.js';

// The `auth failed` line: its fields and their order, and the documented fail2ban pattern, which must find the real
// client address in every non-routine failure and cannot be fooled by what a client writes in its username.

const README = fileURLToPath(new URL('../../../../../src/sip/README.md', import.meta.url));

/** fail2ban's <HOST> as far as these lines need it: the client is always an IP address. */
const failregex = new RegExp(FAIL2BAN_FAILREGEX.replace('<HOST>', '(?<host>[0-9A-Fa-f.:]+)'));

function line(client: string, reason: AuthFailureReason, user = 'alice', detail?: string): string {
  const capture = captureLog();
  logAuthFailure(capture.log, {
    client,
    reason,
    realm: 'example.com',
    user,
    detail,
    method: 'REGISTER',
    callId: 'abc@192.0.2.1',
  });
  return capture.raw[0]!.trimEnd();
}

test('one JSON line: fixed message, then client, reason, realm, user first among the fields', (t) => {
  const text = line('203.0.113.7', 'bad-password');
  t.regex(
    text,
    /^\{"level":40,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","node":"stg1","component":"sip-auth","client":"203\.0\.113\.7","reason":"bad-password","realm":"example\.com","user":"alice","sip":\{"method":"REGISTER","callId":"abc@192\.0\.2\.1"\},"msg":"auth failed"\}$/,
  );
  t.regex(line('203.0.113.7', 'no-credentials'), /^\{"level":30,/, 'routine outcomes at info');
  const long = JSON.parse(line('203.0.113.7', 'unknown-user', 'x'.repeat(5000))) as { user: string };
  t.is(long.user.length, 131, 'a username is clipped to 128 characters and an ellipsis');
});

test('the fail2ban pattern finds the client of every failure but the routine ones', (t) => {
  for (const reason of AUTH_FAILURE_REASONS) {
    for (const client of ['203.0.113.7', '2001:db8::7']) {
      const match = failregex.exec(line(client, reason));
      if (ROUTINE_REASONS.has(reason)) t.is(match, null, reason);
      else t.is(match?.groups?.['host'], client, reason);
    }
  }
});

test('a username cannot forge the client, the reason or the message the pattern reads', (t) => {
  const forged = [
    'x","client":"198.51.100.1","reason":"bad-password',
    '","msg":"auth failed"}',
    '\\","client":"198.51.100.1","reason":"bad-password","x":"',
  ];
  for (const user of forged) {
    t.is(failregex.exec(line('203.0.113.9', 'no-credentials', user)), null, user);
    t.is(failregex.exec(line('203.0.113.9', 'stale-nonce', user, user)), null, user);
    t.is(failregex.exec(line('203.0.113.9', 'bad-password', user, user))?.groups?.['host'], '203.0.113.9', user);
  }
});

test('the README documents this exact pattern', (t) => {
  t.true(readFileSync(README, 'utf8').includes(`failregex = ${FAIL2BAN_FAILREGEX}`));
});
