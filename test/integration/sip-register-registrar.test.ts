import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisServer } from '../../src/local/redis-server.js';
import { parseDatagram, type SipRequest, type SipResponse } from '../../src/sip/message/index.js';
import { BindingStore, Registrar, RegistrationEvents, registrarSettings } from '../../src/sip/registrar/index.js';
import type { MessageSource } from '../../src/sip/transport/index.js';
import { waitFor } from '../helpers/wait.js';

// The registrar in this process against a real redis-server: answers, retransmissions, lookups, GRUU, events.

const log = pino({ level: 'silent' });
let server: RedisServer;
let redis: Redis;
let dir: string;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stg-registrar-'));
  server = await RedisServer.start({ dir, durable: false });
  redis = new Redis({ host: server.host, port: server.port });
});

test.after.always(async () => {
  redis?.disconnect();
  await server?.stop('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const UDP: MessageSource = {
  transport: 'udp',
  address: '203.0.113.9',
  port: 40000,
  local: { address: '127.0.0.1', port: 5060 },
};
const TCP: MessageSource = { ...UDP, transport: 'tcp', connectionId: '00aa11bb22cc33dd' };

function registrar(overrides: Partial<Parameters<typeof registrarSettings>[0]> = {}, now?: () => number) {
  const settings = registrarSettings({
    domains: ['sips.example.es'],
    path: { uri: 'sip:10.0.0.1:5556;transport=tcp', proxyId: 'stg1' },
    ...overrides,
  });
  return new Registrar({
    store: new BindingStore(redis, settings.maxContactsPerAor),
    settings,
    log,
    ...(now ? { now } : {}),
  });
}

let users = 0;
function request(user: string, lines: Record<string, string> = {}): SipRequest {
  const headers: Record<string, string> = {
    Via: 'SIP/2.0/UDP 203.0.113.9:40000;branch=z9hG4bK-r1;rport=40000;received=203.0.113.9',
    From: `<sip:${user}@sips.example.es>;tag=t-${user}`,
    To: `<sip:${user}@sips.example.es>`,
    'Call-ID': `call-${user}`,
    CSeq: '1 REGISTER',
    Contact: `<sip:${user}@192.168.1.20:5060;pn-provider=fcm;pn-prid=tok-${user};pn-param=917288118967>;+sip.instance="<urn:uuid:${user}>"`,
    Expires: '600',
    Supported: 'path, gruu',
    Path: '<sip:edge.example.es;lr>',
    ...lines,
  };
  const text = [
    'REGISTER sip:sips.example.es SIP/2.0',
    ...Object.entries(headers)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}: ${v}`),
  ];
  return parseDatagram(Buffer.from([...text, 'Content-Length: 0', '', ''].join('\r\n'))) as SipRequest;
}

function user(): string {
  users += 1;
  return `u${users}`;
}

function header(response: SipResponse, name: string): string[] {
  return response.headers.lines(name);
}

test('REGISTER: 200 with the live contacts and their remaining expires, the Path and Date; stored in Flexisip format', async (t) => {
  const r = registrar();
  const u = user();
  const response = await r.handle(request(u), UDP);
  t.is(response.status, 200);
  t.deepEqual(header(response, 'Contact'), [
    `<sip:${u}@192.168.1.20:5060;pn-provider=fcm;pn-prid=tok-${u};pn-param=917288118967>;+sip.instance="<urn:uuid:${u}>";pub-gruu="sip:${u}@sips.example.es;gr=urn:uuid:${u}";expires=600`,
  ]);
  t.deepEqual(header(response, 'Path'), [
    '<sip:10.0.0.1:5556;transport=tcp;fs-proxy-id=stg1;lr>, <sip:edge.example.es;lr>',
  ]);
  t.deepEqual(header(response, 'Supported'), ['path, gruu']);
  t.regex(header(response, 'Date')[0]!, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  const stored = await redis.hgetall(`fs:${u}@sips.example.es`);
  t.deepEqual(Object.keys(stored), [`"<urn:uuid:${u}>"`]);
  t.regex(
    stored[`"<urn:uuid:${u}>"`]!,
    new RegExp(
      `^<sip:${u}@192\\.168\\.1\\.20:5060;pn-provider=fcm;pn-prid=tok-${u};pn-param=917288118967;fs-conn-id=[0-9a-f]{16};callid=call-${u};expires=600;cseq=1;updatedAt=\\d+;alias=no;usedAsRoute=no\\?path=%3Csip%3A10\\.0\\.0\\.1%3A5556%3Btransport%3Dtcp%3Bfs-proxy-id%3Dstg1%3Blr%3E%2C%3Csip%3Aedge\\.example\\.es%3Blr%3E&accept=&user-agent=>;\\+sip\\.instance="<urn:uuid:${u}>";pub-gruu="sip:${u}@sips\\.example\\.es;gr=urn:uuid:${u}"$`,
    ),
  );
});

test('a retransmitted REGISTER gets the same 200 and changes nothing; a lower CSeq gets 500', async (t) => {
  const now = Date.now();
  const r = registrar({}, () => now);
  const u = user();
  await r.handle(request(u, { CSeq: '5 REGISTER' }), UDP);
  const before = await redis.hgetall(`fs:${u}@sips.example.es`);
  const first = await r.handle(request(u, { CSeq: '5 REGISTER' }), UDP);
  const second = await r.handle(request(u, { CSeq: '5 REGISTER' }), UDP);
  t.is(first.status, 200);
  t.is(second.headers.get('to'), first.headers.get('to'), 'the same To tag for the same request');
  t.deepEqual(header(second, 'Contact'), header(first, 'Contact'));
  t.deepEqual(await redis.hgetall(`fs:${u}@sips.example.es`), before);
  t.is(r.counters.retransmissions, 2);
  const stale = await r.handle(request(u, { CSeq: '4 REGISTER' }), UDP);
  t.is(stale.status, 500);
  t.is(stale.reason, 'Out of Order CSeq');
});

test('lookup: live contacts with URI, route set, flow, proxy id, push parameters; a GRUU finds its device', async (t) => {
  const r = registrar();
  const u = user();
  await r.handle(
    request(u, { Contact: `<sip:${u}@192.168.1.20:5060;transport=tcp>;+sip.instance="<urn:uuid:${u}>";q=0.5` }),
    TCP,
  );
  await r.handle(
    request(u, {
      'Call-ID': `second-${u}`,
      Contact: `<sip:${u}@192.168.1.21;pn-provider=apns;pn-prid=abc:voip;pn-param=TEAM.org.app.voip>;+sip.instance="<urn:uuid:${u}-2>"`,
    }),
    UDP,
  );
  const contacts = await r.lookup(`${u}@sips.example.es`);
  t.deepEqual(
    contacts.map((c) => c.uri.toString()),
    [
      `sip:${u}@192.168.1.21;pn-provider=apns;pn-prid=abc:voip;pn-param=TEAM.org.app.voip`,
      `sip:${u}@192.168.1.20:5060;transport=tcp`,
    ],
    'q 1 (absent) before q 0.5',
  );
  const [phone, desk] = contacts;
  t.deepEqual(phone!.push, { kind: 'rfc8599', provider: 'apns', prid: 'abc:voip', param: 'TEAM.org.app.voip' });
  t.true(phone!.pushable);
  t.is(phone!.flow?.address, '203.0.113.9', 'the UDP flow: where the REGISTER came from, not the private Contact');
  t.is(desk!.connectionId, '00aa11bb22cc33dd');
  t.is(desk!.flow?.connectionId, '00aa11bb22cc33dd');
  t.is(desk!.q, 0.5);
  t.is(desk!.proxyId, 'stg1');
  t.deepEqual(desk!.path.map(String), [
    'sip:10.0.0.1:5556;transport=tcp;fs-proxy-id=stg1;lr',
    'sip:edge.example.es;lr',
  ]);
  t.true(desk!.expiresIn > 590 && desk!.expiresIn <= 600);
  t.deepEqual((await r.lookup(`sip:${u}@sips.example.es:5061;transport=tls`)).length, 2, 'a URI names its AOR');
  const gruu = await r.lookupGruu(`sip:${u}@sips.example.es;gr=urn:uuid:${u}-2`);
  t.is(gruu?.field, `"<urn:uuid:${u}-2>"`);
  t.is(await r.lookupGruu(`sip:${u}@sips.example.es;gr=urn:uuid:nobody`), undefined);
  t.deepEqual(await r.lookup('nobody@sips.example.es'), []);
});

test('refresh, removal with expires 0, query without Contact, Contact: *', async (t) => {
  const r = registrar();
  const u = user();
  await r.handle(request(u), UDP);
  await r.handle(request(u, { CSeq: '2 REGISTER', Contact: `<sip:${u}@192.168.1.30>`, Expires: '120' }), UDP);
  const query = await r.handle(request(u, { CSeq: '3 REGISTER', Contact: '' }), UDP);
  t.is(query.status, 200);
  t.is(header(query, 'Contact').length, 2);
  const removed = await r.handle(
    request(u, { CSeq: '4 REGISTER', Contact: `<sip:${u}@192.168.1.30>`, Expires: '0' }),
    UDP,
  );
  t.deepEqual(header(removed, 'Contact').length, 1);
  const cleared = await r.handle(request(u, { CSeq: '5 REGISTER', Contact: '*', Expires: '0' }), UDP);
  t.is(cleared.status, 200);
  t.deepEqual(header(cleared, 'Contact'), []);
  t.is(await redis.exists(`fs:${u}@sips.example.es`), 0);
});

test('onRegistered: listeners of an AOR hear each change of its bindings, on their own connection', async (t) => {
  const events = new RegistrationEvents(redis.duplicate(), log);
  t.teardown(() => events.close());
  const r = registrar();
  const u = user();
  const heard: string[] = [];
  const subscription = events.onRegistered(`${u}@sips.example.es`, (field) => heard.push(field));
  await subscription.ready;
  await r.handle(request(u), UDP);
  await r.handle(request(u, { CSeq: '2 REGISTER', Expires: '0' }), UDP);
  await waitFor('two messages on the AOR channel', () => heard.length >= 2, { timeoutMs: 5000 });
  t.deepEqual(heard, [`"<urn:uuid:${u}>"`, `"<urn:uuid:${u}>"`]);
  subscription.close();
  t.is(events.watched, 0);
});

test('Redis not connected: 503 with Retry-After at once, never 200', async (t) => {
  const closed = new Redis({
    host: '127.0.0.1',
    port: 1,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  closed.on('error', () => undefined);
  const settings = registrarSettings({ domains: ['sips.example.es'], retryAfterS: 10 });
  const r = new Registrar({
    store: new BindingStore(closed, settings.maxContactsPerAor),
    settings,
    log,
    storeReady: () => closed.status === 'ready',
  });
  const response = await r.handle(request(user()), UDP);
  t.is(response.status, 503);
  const after = Number(response.headers.get('retry-after'));
  t.true(after >= 10 && after <= 15, `Retry-After ${after}`);
});
