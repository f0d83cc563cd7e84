import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import { RedisServer } from '../../src/local/redis-server.js';
import {
  BindingStore,
  countLiveRegistrations,
  pruneExpiredRegistrations,
  REGISTRATIONS_INDEX_KEY,
  type ContactWrite,
} from '../../src/sip/registrar/binding-store.js';

// The atomic REGISTER script (src/sip/registrar/lua/register-1.lua) against a real redis-server.

const AOR = '40004*01@sips.example.es';
const NOW = 1_800_000_000;

async function store(t: ExecutionContext, maxContacts = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'stg-bindings-'));
  const server = await RedisServer.start({ dir, durable: false });
  const redis = new Redis({ host: server.host, port: server.port });
  t.teardown(async () => {
    redis.disconnect();
    await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return { redis, server, bindings: new BindingStore(redis, maxContacts) };
}

/** A contact value as the registrar serializes it (the parameters the script reads are in its URI). */
function contact(
  field: string,
  { expires = 3600, cseq = 1, callId = 'c1', at = NOW, push = '', display = '', host = '203.0.113.7' } = {},
): ContactWrite & { callId: string; cseq: number } {
  const value =
    `${display}<sip:40004*01@${host}:33030;transport=tls${push};fs-conn-id=ab;callid=${callId};` +
    `expires=${expires};cseq=${cseq};updatedAt=${at};alias=no;usedAsRoute=no>;+sip.instance=${field}`;
  const pushKey = push
    ? push
        .slice(1)
        .split(';')
        .map((p) => p.split('=')[1])
        .join('|')
    : '';
  return { field, value, expires, pushKey, callId, cseq };
}

function origin(c: { callId: string; cseq: number }) {
  return { callId: c.callId, cseq: c.cseq };
}

async function put(bindings: BindingStore, c: ReturnType<typeof contact>, now = NOW) {
  return bindings.register(AOR, origin(c), [c], now);
}

/** The registrations index, as `member score` lines sorted. */
async function indexed(redis: Redis): Promise<string[]> {
  const flat = await redis.zrange(REGISTRATIONS_INDEX_KEY, '0', '-1', 'WITHSCORES');
  const lines: string[] = [];
  for (let i = 0; i < flat.length; i += 2) lines.push(`${flat[i]} ${flat[i + 1]}`);
  return lines.sort();
}

const PHONE = '"<urn:uuid:00000000-0000-0000-0000-000000000001>"';
const TABLET = '"<urn:uuid:00000000-0000-0000-0000-000000000002>"';

test('a bind writes the Flexisip hash with the key expiring with its latest contact, and publishes the field', async (t) => {
  const { redis, server, bindings } = await store(t);
  const subscriber = new Redis({ host: server.host, port: server.port });
  t.teardown(() => subscriber.disconnect());
  await subscriber.subscribe(AOR);
  const published = new Promise<[string, string]>((resolve) =>
    subscriber.once('message', (channel: string, message: string) => resolve([channel, message])),
  );
  const now = Math.floor(Date.now() / 1000);
  const outcome = await put(bindings, contact(PHONE, { expires: 600, at: now }), now);
  t.is(outcome.kind, 'ok');
  t.deepEqual([...(outcome.kind === 'ok' ? outcome.contacts.keys() : [])], [PHONE]);
  t.deepEqual(await redis.hkeys(`fs:${AOR}`), [PHONE]);
  t.is(await redis.expiretime(`fs:${AOR}`), now + 600);
  t.deepEqual(await published, [AOR, PHONE]);
  t.deepEqual(await indexed(redis), [`${AOR} ${PHONE} ${now + 600}`], 'indexed with its expiry');
});

test('RFC 3261 10.3: same Call-ID needs a higher CSeq; the same CSeq is a retransmission; a new Call-ID replaces', async (t) => {
  const { bindings } = await store(t);
  t.is((await put(bindings, contact(PHONE, { cseq: 5 }))).kind, 'ok');
  const again = await put(bindings, contact(PHONE, { cseq: 5, at: NOW + 1 }), NOW + 1);
  t.is(again.kind, 'retransmission', 'a UDP retransmission of an applied REGISTER');
  t.deepEqual([...(again.kind === 'retransmission' ? again.contacts.keys() : [])], [PHONE]);
  t.regex((await bindings.fetch(AOR)).get(PHONE)!, /updatedAt=1800000000;/, 'and it changed nothing');
  t.deepEqual(await put(bindings, contact(PHONE, { cseq: 4 })), { kind: 'stale', field: PHONE, storedCseq: 5 });
  t.is((await put(bindings, contact(PHONE, { cseq: 6 }), NOW + 1)).kind, 'ok');
  t.is((await put(bindings, contact(PHONE, { cseq: 1, callId: 'c2' }), NOW + 2)).kind, 'ok');
  t.regex((await bindings.fetch(AOR)).get(PHONE)!, /callid=c2;.*cseq=1;/);
});

test('a stale contact in a REGISTER changes nothing, not even its other contacts', async (t) => {
  const { bindings } = await store(t);
  await put(bindings, contact(PHONE, { cseq: 5 }));
  const outcome = await bindings.register(AOR, { callId: 'c1', cseq: 4 }, [contact(TABLET), contact(PHONE)], NOW);
  t.is(outcome.kind, 'stale');
  t.deepEqual([...(await bindings.fetch(AOR)).keys()], [PHONE]);
});

test('expires 0 removes one contact; the last removed deletes the key; Contact: * clears all', async (t) => {
  const { redis, bindings } = await store(t);
  await bindings.register(AOR, { callId: 'c1', cseq: 1 }, [contact(PHONE), contact(TABLET)], NOW);
  const outcome = await bindings.register(AOR, { callId: 'c1', cseq: 2 }, [contact(PHONE, { expires: 0 })], NOW);
  t.deepEqual(outcome.kind === 'ok' ? [...outcome.contacts.keys()] : [], [TABLET]);
  await bindings.register(AOR, { callId: 'c1', cseq: 3 }, [contact(TABLET, { expires: 0 })], NOW);
  t.is(await redis.exists(`fs:${AOR}`), 0);
  await bindings.register(
    AOR,
    { callId: 'c1', cseq: 4 },
    [contact(PHONE, { cseq: 4 }), contact(TABLET, { cseq: 4 })],
    NOW,
  );
  t.like(await bindings.clear(AOR, { callId: 'c1', cseq: 3 }, NOW), { kind: 'stale', storedCseq: 4 });
  t.is((await bindings.clear(AOR, { callId: 'other', cseq: 1 }, NOW)).kind, 'ok');
  t.is(await redis.exists(`fs:${AOR}`), 0);
});

test('dead contacts are dropped at the next REGISTER; over the limit the least recently updated go', async (t) => {
  const { bindings } = await store(t, 2);
  await put(bindings, contact('"<urn:uuid:a>"', { expires: 10, at: NOW - 20 }), NOW - 20);
  await put(bindings, contact('"<urn:uuid:b>"', { at: NOW - 5 }), NOW - 5);
  await put(bindings, contact('"<urn:uuid:c>"', { at: NOW - 3 }), NOW - 3);
  const outcome = await put(bindings, contact('"<urn:uuid:d>"'));
  t.deepEqual(outcome.kind === 'ok' ? [...outcome.contacts.keys()] : [], ['"<urn:uuid:d>"', '"<urn:uuid:c>"']);
  t.deepEqual([...(await bindings.fetch(AOR)).keys()].sort(), ['"<urn:uuid:c>"', '"<urn:uuid:d>"']);
});

test('a new binding with the push identity of another replaces it (an app reinstalled, as Flexisip does)', async (t) => {
  const { bindings } = await store(t);
  const push = ';pn-provider=fcm;pn-prid=token-1;pn-param=917288118967';
  await put(bindings, contact(PHONE, { push }));
  await put(bindings, contact(TABLET, { push: ';pn-provider=fcm;pn-prid=token-2;pn-param=917288118967' }));
  const outcome = await put(bindings, contact('"<urn:uuid:reinstalled>"', { push, callId: 'c9' }));
  t.deepEqual(
    outcome.kind === 'ok' ? [...outcome.contacts.keys()].sort() : [],
    [TABLET, '"<urn:uuid:reinstalled>"'].sort(),
  );
});

test('an un-REGISTER without instance removes the bindings registered with that URI, whatever their field', async (t) => {
  const { bindings } = await store(t);
  await put(bindings, contact(PHONE));
  await put(bindings, contact(TABLET, { host: '203.0.113.8' }));
  const removal = {
    ...contact('fs-gen-0123456789abcdef01234567', { expires: 0, callId: 'c7' }),
    uriBase: 'sip:40004*01@203.0.113.7:33030',
  };
  const outcome = await bindings.register(AOR, origin(removal), [removal], NOW);
  t.deepEqual(outcome.kind === 'ok' ? [...outcome.contacts.keys()] : [], [TABLET]);
});

test('the script reads a stored contact past a display name that imitates its parameters', async (t) => {
  const { bindings } = await store(t);
  const display = '"<sip:x@y;callid=c1;cseq=99;expires=1;updatedAt=1>" ';
  await put(bindings, contact(PHONE, { display, cseq: 5 }));
  t.is((await put(bindings, contact(PHONE, { cseq: 6 }))).kind, 'ok', 'the real CSeq (5) was compared, not 99');
  t.is((await bindings.fetch(AOR)).size, 1, 'and the real expiry kept it alive');
});

test('two REGISTERs racing on one AOR: neither update is lost', async (t) => {
  const { redis, server } = await store(t, 100);
  // Two connections, as two proxy processes would have, each writing 50 distinct devices at once.
  const other = new Redis({ host: server.host, port: server.port });
  t.teardown(() => other.disconnect());
  const a = new BindingStore(redis, 100);
  const b = new BindingStore(other, 100);
  await Promise.all(
    Array.from({ length: 50 }, (_, i) => [
      put(a, contact(`"<urn:uuid:a${i}>"`)),
      put(b, contact(`"<urn:uuid:b${i}>"`)),
    ]).flat(),
  );
  t.is((await redis.hkeys(`fs:${AOR}`)).length, 100);
});

test('the index of live bindings follows every change, and counts and prunes them', async (t) => {
  const { redis, bindings } = await store(t, 2);
  const other = '40004*02@sips.example.es';
  const push = ';pn-provider=fcm;pn-prid=token-1;pn-param=917288118967';
  await put(bindings, contact(PHONE, { expires: 10, at: NOW - 20 }), NOW - 20);
  await bindings.register(other, origin(contact(PHONE)), [contact(PHONE, { expires: 60 })], NOW);
  t.is(await countLiveRegistrations(redis, NOW), 1, 'the binding dead since NOW - 10 is not counted');
  t.deepEqual(await indexed(redis), [`${AOR} ${PHONE} ${NOW - 10}`, `${other} ${PHONE} ${NOW + 60}`]);

  await put(bindings, contact(TABLET, { push }));
  t.deepEqual(
    await indexed(redis),
    [`${AOR} ${TABLET} ${NOW + 3600}`, `${other} ${PHONE} ${NOW + 60}`],
    'dead one dropped',
  );
  await put(bindings, contact('"<urn:uuid:reinstalled>"', { push, callId: 'c9' }));
  await put(bindings, contact('"<urn:uuid:x>"', { at: NOW + 1, callId: 'c10' }), NOW + 1);
  await put(bindings, contact('"<urn:uuid:y>"', { at: NOW + 2, callId: 'c11' }), NOW + 2);
  t.deepEqual(
    await indexed(redis),
    [`${AOR} "<urn:uuid:x>" ${NOW + 3601}`, `${AOR} "<urn:uuid:y>" ${NOW + 3602}`, `${other} ${PHONE} ${NOW + 60}`],
    'the app reinstalled replaced the tablet; over the limit (2) the oldest went',
  );
  await put(bindings, contact('"<urn:uuid:y>"', { expires: 0, cseq: 2, callId: 'c11' }), NOW + 2);
  t.deepEqual(
    await indexed(redis),
    [`${AOR} "<urn:uuid:x>" ${NOW + 3601}`, `${other} ${PHONE} ${NOW + 60}`],
    'removed',
  );
  await bindings.clear(AOR, { callId: 'c99', cseq: 1 }, NOW + 3);
  t.deepEqual(await indexed(redis), [`${other} ${PHONE} ${NOW + 60}`], 'Contact: * cleared the AOR');

  t.is(await countLiveRegistrations(redis, NOW + 59), 1);
  t.is(await countLiveRegistrations(redis, NOW + 60), 0, 'expired at its expiry, without a REGISTER');
  t.is(await pruneExpiredRegistrations(redis, NOW + 59), 0);
  t.is(await pruneExpiredRegistrations(redis, NOW + 60), 1);
  t.deepEqual(await indexed(redis), []);
});
