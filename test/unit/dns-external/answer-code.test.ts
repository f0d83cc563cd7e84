import test from 'ava';
import { explainRcode, parseNsupdateFailure } from '../../../src/dns/external/answer-code.js';

// The outputs below are what BIND 9.18's nsupdate printed against a real named (see the integration test).

test('prerequisite failures: NXRRSET and YXRRSET mean someone else changed the records', (t) => {
  t.like(parseNsupdateFailure('update failed: NXRRSET\n', 2), { kind: 'prerequisite', rcode: 'NXRRSET' });
  t.like(parseNsupdateFailure('update failed: YXRRSET\n', 2), { kind: 'prerequisite', rcode: 'YXRRSET' });
  t.like(parseNsupdateFailure('update failed: YXDOMAIN\n', 2), { kind: 'prerequisite', rcode: 'YXDOMAIN' });
});

test('a TSIG failure names NOTAUTH and the TSIG error, each with what it usually means', (t) => {
  const badsig = parseNsupdateFailure(
    '; TSIG error with server: tsig indicates error\nupdate failed: NOTAUTH(BADSIG)\n',
    2,
  );
  t.deepEqual(badsig, {
    kind: 'not-authorized',
    rcode: 'NOTAUTH',
    tsigError: 'BADSIG',
    reason:
      'the server answered NOTAUTH(BADSIG): the TSIG signature was not accepted: the secret differs from the server copy of the key',
  });
  t.regex(
    parseNsupdateFailure('update failed: NOTAUTH(BADKEY)', 2).reason,
    /NOTAUTH\(BADKEY\): the server does not know/,
  );
  t.regex(parseNsupdateFailure('update failed: NOTAUTH(BADTIME)', 2).reason, /clocks/);
  t.like(parseNsupdateFailure('update failed: NOTAUTH\n', 2), { kind: 'not-authorized', rcode: 'NOTAUTH' });
  t.false('tsigError' in parseNsupdateFailure('update failed: NOTAUTH\n', 2));
});

test('REFUSED, SERVFAIL, NOTZONE and unknown codes are named as the server sent them', (t) => {
  t.like(parseNsupdateFailure('update failed: REFUSED', 2), { kind: 'refused', rcode: 'REFUSED' });
  t.regex(parseNsupdateFailure('update failed: REFUSED', 2).reason, /^the server answered REFUSED: /);
  t.like(parseNsupdateFailure('update failed: SERVFAIL', 2), { kind: 'server-error', rcode: 'SERVFAIL' });
  t.like(parseNsupdateFailure('update failed: NOTZONE', 2), { kind: 'server-error', rcode: 'NOTZONE' });
  t.like(parseNsupdateFailure('update failed: RCODE_12', 2), { kind: 'server-error', rcode: 'RCODE_12' });
  t.is(explainRcode('NXDOMAIN').kind, 'prerequisite');
});

test('no answer: a refused connection (TCP says "operation canceled"), a timeout, an unknown host', (t) => {
  const tcp = parseNsupdateFailure('; Communication with 127.0.0.1#5398 failed: operation canceled\n', 2);
  t.like(tcp, { kind: 'unreachable' });
  t.is(tcp.reason, 'cannot reach 127.0.0.1#5398: operation canceled (connection refused or reset)');
  t.like(parseNsupdateFailure('; Communication with 127.0.0.1#5398 failed: connection refused', 2), {
    kind: 'unreachable',
    reason: 'cannot reach 127.0.0.1#5398: connection refused',
  });
  t.like(parseNsupdateFailure('; Communication with 127.0.0.1#5399 failed: timed out', 2), { kind: 'timeout' });
  t.like(parseNsupdateFailure("couldn't get address for 'ns.invalid': not found", 1), { kind: 'unreachable' });
  t.false('rcode' in tcp);
});

test('an unreadable key file is the cause, not the REFUSED of the unsigned update nsupdate sends after it', (t) => {
  const output = 'could not read key from missing.{private,key}: file not found\nupdate failed: REFUSED\n';
  t.deepEqual(parseNsupdateFailure(output, 2), {
    kind: 'key-file',
    reason: 'nsupdate could not read the TSIG key from missing.{private,key}: file not found',
  });
});

test('a script nsupdate cannot parse is an internal failure quoting its lines without timestamps', (t) => {
  const output = [
    "26-Nov-2026 13:34:22.074 dns_rdata_fromtext: buffer-0x7fe0b1f59c60:1: near '192.0.2.300': bad dotted quad",
    'invalid rdata format: bad dotted quad',
    'syntax error',
  ].join('\n');
  const failure = parseNsupdateFailure(output, 1);
  t.is(failure.kind, 'internal');
  t.true(failure.reason.startsWith('nsupdate failed (exit code 1): dns_rdata_fromtext:'), failure.reason);
  t.true(failure.reason.endsWith('; invalid rdata format: bad dotted quad; syntax error'), failure.reason);
  t.is(parseNsupdateFailure('', undefined).reason, 'nsupdate failed (no exit code), no output');
});
