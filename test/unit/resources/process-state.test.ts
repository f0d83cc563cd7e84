import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { formatPidfile, inspectPidfile, parsePidfile } from '../../../src/resources/pidfile.js';
import { isLive, parseProcStat, readProcStat } from '../../../src/resources/proc.js';
import { temporaryDir } from './fixture.js';

// Field 22 is the start time; the command name holds spaces and parentheses of its own.
const STAT =
  '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345678 300 ' +
  '18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n';

test('/proc/<pid>/stat is read from the last ")": state, process group, start time', (t) => {
  t.deepEqual(parseProcStat(STAT), { pid: 4242, state: 'S', pgrp: 4242, startTime: '987654' });
  t.is(parseProcStat('garbage'), undefined);
  t.is(parseProcStat('12 (short) S 1 2'), undefined);
});

test('this process reads as live, with a start time that does not change', (t) => {
  const stat = readProcStat(process.pid);
  t.true(isLive(stat));
  t.is(readProcStat(process.pid)?.startTime, stat?.startTime);
  t.false(isLive({ pid: 1, state: 'Z', pgrp: 1, startTime: '1' }), 'a zombie has exited');
});

test('a pidfile is "<pid> <start time>"; anything else is not one', (t) => {
  t.is(formatPidfile({ pid: 123, startTime: '456' }), '123 456\n');
  t.deepEqual(parsePidfile('123 456\n'), { pid: 123, startTime: '456' });
  t.is(parsePidfile('123\n'), undefined, 'a bare PID cannot tell a recycled PID from ours');
  t.is(parsePidfile('1 456'), undefined, 'PID 1 is never ours');
  t.is(parsePidfile('abc 456'), undefined);
});

test('a pidfile is running, exited, reused by another process, invalid or absent', (t) => {
  const dir = temporaryDir(t);
  const path = join(dir, 'x.pid');
  t.deepEqual(inspectPidfile(path), { state: 'absent' });

  const own = readProcStat(process.pid)!;
  writeFileSync(path, formatPidfile({ pid: process.pid, startTime: own.startTime }));
  t.is(inspectPidfile(path).state, 'running');

  writeFileSync(path, formatPidfile({ pid: process.pid, startTime: String(Number(own.startTime) + 1) }));
  t.is(inspectPidfile(path).state, 'reused', 'the same PID with another start time is another process');

  const finished = spawnSync('true').pid; // spawnSync reaps it: the PID is free
  writeFileSync(path, formatPidfile({ pid: finished, startTime: '1' }));
  t.is(inspectPidfile(path).state, 'exited');

  writeFileSync(path, 'not a pid\n');
  const invalid = inspectPidfile(path);
  t.is(invalid.state, 'invalid');
  t.regex(invalid.state === 'invalid' ? invalid.reason : '', /holds "not a pid", not "<pid> <start time>"/);
});
