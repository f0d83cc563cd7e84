import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import { RedisServer } from '../../src/local/redis-server.js';
import { BindingStore, type ContactWrite } from '../../src/sip/registrar/binding-store.js';

const AOR = '40004*01@sips.example.es';
const NOW = 1_800_000_000;

async function store(t: ExecutionContext, maxContacts = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'stg-bindings-'));
  const server = await RedisServer.start({ dir });
  const redis = new Redis({ host: server.host, port: server.port });
  t.teardown(async () => {
    redis.disconnect();
    await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return { redis, server, bindings: new BindingStore(redis, maxContacts) };
}

/** A contact value as the registrar serializes it (the parameters the script reads are in its URI). */
function contact(field: string, { expires = 3600, cseq = 1, callId = 'c1', at = NOW } = {}): ContactWrite {
  const value =
    `<sip:40004*01@203.0.113.7:33030;transport=tls;fs-conn-id=ab;callid=${callId};expires=${expires};` +
    `cseq=${cseq};updatedAt=${at};alias=no;usedAsRoute=no>;+sip.instance=${field}`;
  return { field, value, expires, callId, cseq };
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
  const outcome = await bindings.register(AOR, [contact(PHONE, { expires: 600, at: now })], now);
  t.is(outcome.kind, 'ok');
  t.deepEqual([...(outcome.kind === 'ok' ? outcome.contacts.keys() : [])], [PHONE]);
  t.deepEqual(await redis.hkeys(`fs:${AOR}`), [PHONE]);
  t.is(await redis.expiretime(`fs:${AOR}`), now + 600);
  t.deepEqual(await published, [AOR, PHONE]);
});

test('re-REGISTER: same Call-ID needs a higher CSeq (RFC 3261 10.3), a new Call-ID replaces', async (t) => {
  const { bindings } = await store(t);
  t.is((await bindings.register(AOR, [contact(PHONE, { cseq: 5 })], NOW)).kind, 'ok');
  t.deepEqual(await bindings.register(AOR, [contact(PHONE, { cseq: 5 })], NOW), {
    kind: 'stale',
    field: PHONE,
    storedCseq: 5,
  });
  t.is((await bindings.register(AOR, [contact(PHONE, { cseq: 6 })], NOW + 1)).kind, 'ok');
  t.is((await bindings.register(AOR, [contact(PHONE, { cseq: 1, callId: 'c2' })], NOW + 2)).kind, 'ok');
  const stored = await bindings.fetch(AOR);
  t.regex(stored.get(PHONE)!, /callid=c2;.*cseq=1;/);
});

test('a stale contact in a REGISTER changes nothing, not even its other contacts', async (t) => {
  const { bindings } = await store(t);
  await bindings.register(AOR, [contact(PHONE, { cseq: 5 })], NOW);
  const outcome = await bindings.register(AOR, [contact(TABLET), contact(PHONE, { cseq: 4 })], NOW);
  t.is(outcome.kind, 'stale');
  t.deepEqual([...(await bindings.fetch(AOR)).keys()], [PHONE]);
});

test('expires 0 removes one contact; the last removed deletes the key; Contact: * clears all', async (t) => {
  const { redis, bindings } = await store(t);
  await bindings.register(AOR, [contact(PHONE), contact(TABLET)], NOW);
  const outcome = await bindings.register(AOR, [contact(PHONE, { expires: 0, cseq: 2 })], NOW);
  t.deepEqual(outcome.kind === 'ok' ? [...outcome.contacts.keys()] : [], [TABLET]);
  await bindings.register(AOR, [contact(TABLET, { expires: 0, cseq: 2 })], NOW);
  t.is(await redis.exists(`fs:${AOR}`), 0);
  await bindings.register(AOR, [contact(PHONE), contact(TABLET)], NOW);
  await bindings.clear(AOR, NOW);
  t.is(await redis.exists(`fs:${AOR}`), 0);
});

test('dead contacts are dropped at the next REGISTER; over the limit the least recently updated go', async (t) => {
  const { bindings } = await store(t, 2);
  await bindings.register(AOR, [contact('"<urn:uuid:a>"', { expires: 10, at: NOW - 20 })], NOW - 20);
  await bindings.register(AOR, [contact('"<urn:uuid:b>"', { at: NOW - 5 })], NOW - 5);
  await bindings.register(AOR, [contact('"<urn:uuid:c>"', { at: NOW - 3 })], NOW - 3);
  const outcome = await bindings.register(AOR, [contact('"<urn:uuid:d>"')], NOW);
  t.deepEqual(outcome.kind === 'ok' ? [...outcome.contacts.keys()] : [], ['"<urn:uuid:d>"', '"<urn:uuid:c>"']);
  t.deepEqual([...(await bindings.fetch(AOR)).keys()].sort(), ['"<urn:uuid:c>"', '"<urn:uuid:d>"']);
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
      a.register(AOR, [contact(`"<urn:uuid:a${i}>"`)], NOW),
      b.register(AOR, [contact(`"<urn:uuid:b${i}>"`)], NOW),
    ]).flat(),
  );
  t.is((await redis.hkeys(`fs:${AOR}`)).length, 100);
});
