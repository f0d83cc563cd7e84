import test from 'ava';
import { freePort } from '../../../../src/local/redis-server.js';
import { createRootLogger } from '../../../../src/log.js';
import { DataStoreProbe } from '../../../../src/sip/status/index.js';

test('a data Redis nobody listens for is down, with the reason; at most one PING a second', async (t) => {
  const port = await freePort();
  let now = 1_000_000;
  const log = createRootLogger({});
  log.level = 'silent';
  const probe = new DataStoreProbe({ host: '127.0.0.1', port }, log, () => now);
  t.teardown(() => probe.close());
  const first = await probe.state();
  t.false(first.up);
  t.regex(first.reason ?? '', new RegExp(`^data Redis 127\\.0\\.0\\.1:${port} not connected \\(\\w+\\)$`));
  now += 500;
  t.is(await probe.state(), first, 'within a second: the same answer, no new PING');
  now += 600;
  const second = await probe.state();
  t.not(second, first, 'after a second: a new PING');
  t.is(second.at, now);
  t.false(second.up);
  now += 6_000;
  const fresh = await probe.state();
  t.is(fresh.at, now, 'after a quiet spell the caller waits for a fresh PING');
});
