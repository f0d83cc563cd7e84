import test from 'ava';
import { parseDummyJournalLine } from '../../helpers/dummy-journal.js';
import { exitReason, rcName, succeeded } from '../../../src/resources/result.js';

test('every OCF exit code has the name operators know from Pacemaker; others are "rc N"', (t) => {
  t.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(rcName), [
    'OCF_SUCCESS',
    'OCF_ERR_GENERIC',
    'OCF_ERR_ARGS',
    'OCF_ERR_UNIMPLEMENTED',
    'OCF_ERR_PERM',
    'OCF_ERR_INSTALLED',
    'OCF_ERR_CONFIGURED',
    'OCF_NOT_RUNNING',
    'OCF_RUNNING_PROMOTED',
    'OCF_FAILED_PROMOTED',
  ]);
  t.is(rcName(42), 'rc 42');
  t.is(rcName(-1), 'rc -1');
  t.is(rcName(143), 'rc 143');
});

test('the exit reason is the last ocf-exit-reason line of stderr, trimmed', (t) => {
  const stderr = [
    'INFO: starting',
    'ocf-exit-reason:first try failed',
    'Dummy(x)[12]: ERROR: logged elsewhere',
    'ocf-exit-reason:  State file "/run/x" is not writable  ',
    'trailing noise',
  ].join('\n');
  t.is(exitReason(stderr), 'State file "/run/x" is not writable');
  t.is(exitReason('ocf-exit-reason:with CRLF\r\n'), 'with CRLF');
});

test('no ocf-exit-reason line, or the prefix in the middle of a line, gives no reason', (t) => {
  t.is(exitReason(''), '');
  t.is(exitReason('ERROR: something\nmore'), '');
  t.is(exitReason('echoed: ocf-exit-reason:not a reason line'), '');
});

test('an operation succeeded on 0, and a monitor also on 7 (cleanly stopped is an answer)', (t) => {
  t.true(succeeded('start', 0));
  t.false(succeeded('start', 7));
  t.false(succeeded('stop', 1));
  t.true(succeeded('monitor', 7));
  t.false(succeeded('monitor', 1));
});

test('dummy journal lines parse, with - for no term; anything else is not an entry', (t) => {
  t.deepEqual(parseDummyJournalLine('1700000000123 stg1 7 start 0'), {
    wallMs: 1700000000123,
    node: 'stg1',
    term: 7,
    action: 'start',
    rc: 0,
  });
  t.deepEqual(parseDummyJournalLine('1700000000123 stg2 - monitor 7')?.term, undefined);
  t.is(parseDummyJournalLine('1700000000123 stg2 - moni'), undefined);
  t.is(parseDummyJournalLine(''), undefined);
});
