import test from 'ava';
import { buildRecordSet, zoneOf } from '../../../src/dns/build-records.js';
import type { DnsRecord } from '../../../src/dns/record-set.js';
import { SIP_PROXY, THREE_NODES, definition, node } from './fixture.js';

const of = (records: DnsRecord[], name: string, type: DnsRecord['type']) =>
  records.filter((record) => record.name === name && record.type === type).map((record) => record.data);

test('the zone is service.zone, else the parent of the service name', (t) => {
  t.is(zoneOf({ name: 'sips.example.es' }), 'example.es');
  t.is(zoneOf({ name: 'SIPS.Example.ES', zone: 'Example.ES' }), 'example.es');
  t.is(zoneOf({ name: 'sips.edge.example.es', zone: 'example.es' }), 'example.es');
});

test('vip mode: the service name answers the VIP, SRV and NAPTR point at it, every node is a name server', (t) => {
  const set = buildRecordSet({
    definition: definition({ service: { vip: '198.51.100.10/24' } }),
    leader: 'stg2',
    nodes: THREE_NODES,
  });
  t.is(set.mode, 'vip');
  t.is(set.vip, '198.51.100.10');
  t.deepEqual(of(set.records, 'sips.example.es', 'A'), ['198.51.100.10']);
  t.deepEqual(of(set.records, '_sips._tcp.sips.example.es', 'SRV'), [
    { priority: 10, weight: 50, port: 5554, target: 'sips.example.es' },
  ]);
  t.deepEqual(of(set.records, '_sip._udp.sips.example.es', 'SRV'), [
    { priority: 10, weight: 50, port: 5060, target: 'sips.example.es' },
  ]);
  t.deepEqual(
    of(set.records, 'sips.example.es', 'NAPTR').map((data) => (data as { services: string }).services),
    ['SIPS+D2T', 'SIP+D2T', 'SIP+D2U'],
  );
  t.deepEqual(of(set.records, 'example.es', 'NS'), ['stg1.example.es', 'stg2.example.es', 'stg3.example.es']);
  t.deepEqual(of(set.records, 'stg3.example.es', 'A'), ['127.0.0.13']);
  t.is(set.soa.mname, 'stg2.example.es');
  t.is(set.soa.minimum, 10, 'negative caching follows the TTL');
  t.true(set.records.every((record) => record.ttl === 10));
});

test('an IPv6 VIP and IPv6 nodes give AAAA records', (t) => {
  const set = buildRecordSet({
    definition: definition({ service: { vip: '2001:db8::10/64' } }),
    leader: 'stg1',
    nodes: [node('stg1', '2001:db8::11')],
  });
  t.deepEqual(of(set.records, 'sips.example.es', 'AAAA'), ['2001:db8::10']);
  t.deepEqual(of(set.records, 'sips.example.es', 'A'), []);
  t.deepEqual(of(set.records, 'stg1.example.es', 'AAAA'), ['2001:db8::11']);
});

test('nodes mode: the healthy nodes, the leader first and with the better SRV priority', (t) => {
  const set = buildRecordSet({
    definition: definition({ dns: { ttlS: 5, ports: { sips: 6000 } } }),
    leader: 'stg2',
    nodes: THREE_NODES,
  });
  t.is(set.mode, 'nodes');
  t.deepEqual(set.answering, ['stg2', 'stg1', 'stg3']);
  t.deepEqual(of(set.records, 'sips.example.es', 'A'), ['127.0.0.12', '127.0.0.11', '127.0.0.13']);
  t.deepEqual(of(set.records, '_sips._tcp.sips.example.es', 'SRV'), [
    { priority: 10, weight: 50, port: 6000, target: 'stg2.example.es' },
    { priority: 20, weight: 50, port: 6000, target: 'stg1.example.es' },
    { priority: 20, weight: 50, port: 6000, target: 'stg3.example.es' },
  ]);
  t.deepEqual(
    of(set.records, '_sip._tcp.sips.example.es', 'SRV').map((data) => (data as { port: number }).port),
    [5060, 5060, 5060],
  );
  t.true(set.records.every((record) => record.ttl === 5));
});

test('nodes mode: a node whose SIP proxy failed or is not running is left out, and so are standby and offline', (t) => {
  const set = buildRecordSet({
    definition: definition({ resources: [SIP_PROXY] }),
    leader: 'stg1',
    nodes: [
      node('stg1', '127.0.0.11', 'started'),
      node('stg2', '127.0.0.12', 'failed'),
      node('stg3', '127.0.0.13', 'stopped'),
      node('stg4', '127.0.0.14', 'started', 'standby'),
      node('stg5', undefined, undefined, 'offline'),
      { id: 'stg6', state: 'online', address: '127.0.0.16', resources: [] },
    ],
  });
  t.deepEqual(set.answering, ['stg1']);
  t.deepEqual(set.leftOut, [
    { node: 'stg2', reason: 'sip-proxy failed' },
    { node: 'stg3', reason: 'sip-proxy stopped' },
    { node: 'stg4', reason: 'standby' },
    { node: 'stg5', reason: 'offline (no heartbeat)' },
    { node: 'stg6', reason: 'sip-proxy not reported' },
  ]);
  t.deepEqual(of(set.records, 'sips.example.es', 'A'), ['127.0.0.11']);
  t.is(set.degraded, null);
});

test('nodes mode without a SIP proxy resource: every online node counts as healthy', (t) => {
  const set = buildRecordSet({
    definition: definition(),
    leader: 'stg3',
    nodes: [node('stg1', '127.0.0.11', 'failed'), node('stg3', '127.0.0.13')],
  });
  t.deepEqual(set.answering, ['stg3', 'stg1']);
});

test('nodes mode with no healthy node answers every online node and says it is degraded', (t) => {
  const set = buildRecordSet({
    definition: definition({ resources: [SIP_PROXY] }),
    leader: 'stg1',
    nodes: [node('stg1', '127.0.0.11', 'failed'), node('stg2', '127.0.0.12', 'failed')],
  });
  t.deepEqual(set.answering, ['stg1', 'stg2']);
  t.regex(set.degraded ?? '', /no healthy node/);
});

test('an offline node keeps the address of the previous set: it stays a name server, not an answer', (t) => {
  const first = buildRecordSet({ definition: definition(), leader: 'stg1', nodes: THREE_NODES });
  const later = buildRecordSet({
    definition: definition(),
    leader: 'stg1',
    nodes: [THREE_NODES[0]!, THREE_NODES[1]!, node('stg3', undefined, undefined, 'offline')],
    previous: first,
  });
  t.deepEqual(of(later.records, 'example.es', 'NS'), ['stg1.example.es', 'stg2.example.es', 'stg3.example.es']);
  t.deepEqual(of(later.records, 'stg3.example.es', 'A'), ['127.0.0.13']);
  t.deepEqual(later.answering, ['stg1', 'stg2']);
});

test('the same state gives the same set (the leader republishes only on a change)', (t) => {
  const build = () => buildRecordSet({ definition: definition(), leader: 'stg1', nodes: [...THREE_NODES].reverse() });
  t.deepEqual(build(), build());
});
