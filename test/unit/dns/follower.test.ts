import test from 'ava';
import { RecordSetFollower, type RecordSetSource } from '../../../src/dns/follower.js';
import type { ServedRecordSet } from '../../../src/dns/record-set.js';
import { silentLog } from '../../../src/silent-log.js';
import { served } from './fixture.js';

/** A source whose reads return what the test queued (or throw), and whose signal the test fires. */
class FakeSource implements RecordSetSource {
  reads: (ServedRecordSet | undefined | Error)[] = [];
  signal: () => void = () => undefined;
  async read() {
    const next = this.reads.shift();
    if (next instanceof Error) throw next;
    return next;
  }
  subscribe(onSignal: () => void) {
    this.signal = onSignal;
  }
  close() {}
}

function follower(source: FakeSource, onNewer: (set: ServedRecordSet) => void = () => undefined) {
  const accepted: string[] = [];
  const instance = new RecordSetFollower({
    source,
    refreshMs: 60_000,
    log: silentLog,
    onNewer: (set) => {
      onNewer(set);
      accepted.push(`${set.term}/${set.version}`);
    },
  });
  return { instance, accepted };
}

test('sets only move forward in (term, version): a deposed leader set read later is not served', async (t) => {
  const source = new FakeSource();
  const { instance, accepted } = follower(source);
  source.reads = [
    served({ term: 5, version: 10 }),
    served({ term: 5, version: 11 }),
    served({ term: 4, version: 30 }), // an older term with a higher version: a deposed leader's
    served({ term: 5, version: 9 }),
    undefined, // a majority without the key (cannot happen once written; must not clear the set either)
    served({ term: 6, version: 1 }),
  ];
  await instance.start();
  for (let index = 1; index < 6; index += 1) await instance.refresh();
  t.deepEqual(accepted, ['5/10', '5/11', '6/1']);
  t.is(instance.current?.term, 6);
  instance.close();
});

test('a failed read keeps the set served and says why; the next read clears the error', async (t) => {
  const source = new FakeSource();
  const { instance } = follower(source);
  source.reads = [
    served({ term: 2, version: 1 }),
    new Error('read reached 1/3 lock members'),
    served({ term: 2, version: 1 }),
  ];
  await instance.start();
  await instance.refresh();
  t.regex(instance.lastError ?? '', /1\/3 lock members/);
  t.is(instance.current?.version, 1);
  await instance.refresh();
  t.is(instance.lastError, null);
  instance.close();
});

test('a set that cannot be served is reported once and not retried until a newer one comes', async (t) => {
  const source = new FakeSource();
  let calls = 0;
  const { instance, accepted } = follower(source, (set) => {
    calls += 1;
    if (set.version === 2) throw new Error('bad record');
  });
  source.reads = [
    served({ term: 3, version: 1 }),
    served({ term: 3, version: 2 }),
    served({ term: 3, version: 2 }),
    served({ term: 3, version: 3 }),
  ];
  await instance.start();
  await instance.refresh();
  t.regex(instance.lastError ?? '', /term 3 version 2 cannot be served: bad record/);
  await instance.refresh();
  await instance.refresh();
  t.deepEqual(accepted, ['3/1', '3/3']);
  t.is(calls, 3, 'version 2 was tried once');
  instance.close();
});

test('signals during a read make exactly one more read after it', async (t) => {
  const source = new FakeSource();
  const { instance } = follower(source);
  let reads = 0;
  source.read = async () => {
    reads += 1;
    await new Promise((resolve) => setImmediate(resolve));
    return served({ term: 1, version: reads });
  };
  await instance.start();
  const first = instance.refresh();
  source.signal();
  source.signal();
  source.signal();
  await first;
  t.is(reads, 3, 'the start read, the refresh, and one for the three signals');
  t.is(instance.current?.version, 3);
  instance.close();
});
