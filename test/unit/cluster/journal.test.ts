import test from 'ava';
import { checkJournalMutex, type JournalEntry } from '../../../src/cluster/journal.js';

const entry = (node: string, term: number, wallMs: number, action = 'renewed'): JournalEntry => ({
  node,
  term,
  action,
  wallMs,
  monoMs: 0,
});

test('a clean history of successive terms passes', (t) => {
  t.deepEqual(
    checkJournalMutex([
      entry('stg1', 1, 10, 'lead'),
      entry('stg1', 1, 20),
      entry('stg2', 2, 30, 'lead'),
      entry('stg2', 2, 40),
    ]),
    [],
  );
});

test('an action of an old term after a newer term began is a violation', (t) => {
  const violations = checkJournalMutex([
    entry('stg1', 1, 10, 'lead'),
    entry('stg2', 2, 30, 'lead'),
    entry('stg1', 1, 35),
  ]);
  t.is(violations.length, 1);
  t.regex(violations[0]!, /stg1 did "renewed" with term 1 at 35\.0, after stg2 began term 2 at 30\.0/);
});

test('one term used by two nodes is a violation', (t) => {
  t.regex(checkJournalMutex([entry('stg1', 3, 10), entry('stg2', 3, 20)])[0]!, /term 3 used by stg1 and stg2/);
});
