import * as dnsPacket from 'dns-packet';
import test from 'ava';
import { Responder } from '../../../src/dns/responder.js';
import { decode, query, rcodeOf, responderWith, served } from './fixture.js';

const responder = responderWith();
const dataOf = (record: dnsPacket.Answer) => (record as { data?: unknown }).data;

test('A: authoritative, the question echoed in its own case, the ID and RD kept', (t) => {
  const packet = decode(responder.answer(query('SIPS.example.ES', 'A', { id: 4242 }), 'udp'));
  t.is(packet.id, 4242);
  t.true(packet.flag_qr && packet.flag_aa && packet.flag_rd);
  t.false(packet.flag_ra, 'no recursion here');
  t.is(rcodeOf(packet), 'NOERROR');
  t.deepEqual(packet.questions, [{ name: 'SIPS.example.ES', type: 'A', class: 'IN' }]);
  t.deepEqual(
    packet.answers?.map((answer) => [answer.name, answer.type, (answer as { data: string }).data]),
    [
      ['SIPS.example.ES', 'A', '127.0.0.11'],
      ['SIPS.example.ES', 'A', '127.0.0.12'],
      ['SIPS.example.ES', 'A', '127.0.0.13'],
    ],
  );
});

test("SRV: the leader first, the targets' addresses in the additional section", (t) => {
  const packet = decode(responder.answer(query('_sips._tcp.sips.example.es', 'SRV'), 'udp'));
  t.deepEqual(packet.answers?.map(dataOf), [
    { priority: 10, weight: 50, port: 5554, target: 'stg1.example.es' },
    { priority: 20, weight: 50, port: 5554, target: 'stg2.example.es' },
    { priority: 20, weight: 50, port: 5554, target: 'stg3.example.es' },
  ]);
  t.deepEqual(
    packet.additionals?.filter((record) => record.type === 'A').map((record) => [record.name, dataOf(record)]),
    [
      ['stg1.example.es', '127.0.0.11'],
      ['stg2.example.es', '127.0.0.12'],
      ['stg3.example.es', '127.0.0.13'],
    ],
  );
});

test('SOA carries the published version as its serial; NS lists every node', (t) => {
  const soa = decode(responder.answer(query('example.es', 'SOA'), 'udp'));
  t.like(soa.answers?.[0], { name: 'example.es', type: 'SOA', data: { serial: 7, mname: 'stg1.example.es' } });
  const ns = decode(responder.answer(query('example.es', 'NS'), 'udp'));
  t.deepEqual(ns.answers?.map(dataOf), ['stg1.example.es', 'stg2.example.es', 'stg3.example.es']);
});

test('NAPTR (RFC 3263) with the SRV records it names in the additional section', (t) => {
  const packet = decode(responder.answer(query('sips.example.es', 'NAPTR'), 'tcp'));
  t.deepEqual(packet.answers?.map(dataOf), [
    {
      order: 10,
      preference: 10,
      flags: 's',
      services: 'SIPS+D2T',
      regexp: '',
      replacement: '_sips._tcp.sips.example.es',
    },
    {
      order: 20,
      preference: 10,
      flags: 's',
      services: 'SIP+D2T',
      regexp: '',
      replacement: '_sip._tcp.sips.example.es',
    },
    {
      order: 30,
      preference: 10,
      flags: 's',
      services: 'SIP+D2U',
      regexp: '',
      replacement: '_sip._udp.sips.example.es',
    },
  ]);
  t.is(packet.additionals?.filter((record) => record.type === 'SRV').length, 9);
});

test('NXDOMAIN and NODATA carry the SOA in the authority section; empty non-terminals are NODATA', (t) => {
  const missing = decode(responder.answer(query('nope.example.es', 'A'), 'udp'));
  t.is(rcodeOf(missing), 'NXDOMAIN');
  t.true(missing.flag_aa);
  t.like(missing.authorities?.[0], { name: 'example.es', type: 'SOA', ttl: 10 });
  const noData = decode(responder.answer(query('sips.example.es', 'AAAA'), 'udp'));
  t.is(rcodeOf(noData), 'NOERROR');
  t.is(noData.answers?.length, 0);
  t.like(noData.authorities?.[0], { type: 'SOA' });
  const emptyNonTerminal = decode(responder.answer(query('_tcp.sips.example.es', 'TXT'), 'udp'));
  t.is(rcodeOf(emptyNonTerminal), 'NOERROR');
});

test('outside the zone, another class, or a zone transfer: REFUSED, not authoritative', (t) => {
  for (const message of [
    query('example.org', 'A'),
    query('es', 'NS'),
    query('example.es', 'AXFR'),
    dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }] }),
  ]) {
    const packet = decode(responder.answer(message, 'udp'));
    t.is(rcodeOf(packet), 'REFUSED');
    t.false(packet.flag_aa);
  }
});

test('ANY gets one small synthesized record (RFC 8482)', (t) => {
  const packet = decode(responder.answer(query('sips.example.es', 'ANY' as dnsPacket.RecordType), 'udp'));
  t.deepEqual(
    packet.answers?.map((answer) => answer.type),
    ['HINFO'],
  );
});

test('EDNS: the OPT record is echoed with our payload size and the DO bit; a version above 0 gets BADVERS', (t) => {
  const withDo = decode(responder.answer(query('sips.example.es', 'A', { edns: { dnssecOk: true } }), 'udp'));
  const opt = withDo.additionals?.find((record) => record.type === 'OPT') as dnsPacket.OptAnswer;
  t.is(opt.udpPayloadSize, 1232);
  t.is(opt.flags & dnsPacket.DNSSEC_OK, dnsPacket.DNSSEC_OK);
  const plain = decode(responder.answer(query('sips.example.es', 'A', { edns: false }), 'udp'));
  t.is(plain.additionals?.length, 0, 'no OPT without one in the query');
  const badVersion = decode(responder.answer(query('sips.example.es', 'A', { edns: { version: 1 } }), 'udp'));
  const badOpt = badVersion.additionals?.find((record) => record.type === 'OPT') as dnsPacket.OptAnswer;
  t.is(badOpt.extendedRcode, 1, 'BADVERS is extended rcode 16');
  t.is(badVersion.answers?.length, 0);
});

test('a long answer: the additional section goes first, then TC is set; TCP gets it all', (t) => {
  // A long zone makes every name long (SRV targets are never compressed, RFC 2782).
  const zone = `${'z'.repeat(60)}.${'y'.repeat(60)}.${'x'.repeat(60)}.example.es`;
  const long = responderWith(served({ service: { name: `sips.${zone}` } }));
  const name = `_sips._tcp.sips.${zone}`;
  const plain = decode(long.answer(query(name, 'SRV', { edns: false }), 'udp'));
  t.true(plain.flag_tc, 'over 512 bytes without EDNS');
  t.is(plain.answers?.length, 0);
  t.is(plain.questions?.[0]?.name, name);
  const edns = decode(long.answer(query(name, 'SRV'), 'udp'));
  t.false(edns.flag_tc);
  t.is(edns.answers?.length, 3);
  t.true((edns.additionals?.length ?? 0) >= 1, 'the OPT at least');
  const small = long.answer(query(name, 'SRV', { edns: { payload: 512 } }), 'udp')!;
  t.true(small.length <= 512);
  const tcp = decode(long.answer(query(name, 'SRV', { edns: false }), 'tcp'));
  t.false(tcp.flag_tc);
  t.is(tcp.answers?.length, 3);
  t.is(tcp.additionals?.length, 3, 'the targets addresses, no limit over TCP');
  t.is(long.counters.truncated, 2, 'without EDNS, and with a 512-byte EDNS payload');
});

test('additional records that do not fit are dropped without TC', (t) => {
  const zone = `${'z'.repeat(50)}.example.es`;
  const medium = responderWith(served({ service: { name: `sips.${zone}` } }));
  const packet = decode(medium.answer(query(`_sips._tcp.sips.${zone}`, 'SRV', { edns: false }), 'udp'));
  t.false(packet.flag_tc);
  t.is(packet.answers?.length, 3);
  t.is(packet.additionals?.length, 0);
});

test('before any record set is loaded every query gets SERVFAIL', (t) => {
  const packet = decode(new Responder().answer(query('sips.example.es', 'A'), 'udp'));
  t.is(rcodeOf(packet), 'SERVFAIL');
});

test('unusual queries go through dns-packet: records in the answer section, two OPT records', (t) => {
  const base = dnsPacket.encode({
    type: 'query',
    id: 77,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: 'sips.example.es', type: 'A' }],
    answers: [{ name: 'sips.example.es', type: 'A', ttl: 1, data: '10.0.0.1' }],
  });
  const viaSlowPath = decode(responder.answer(base, 'udp'));
  t.is(rcodeOf(viaSlowPath), 'NOERROR');
  t.is(viaSlowPath.id, 77);
  t.is(viaSlowPath.answers?.length, 3);
  const twoOpts = dnsPacket.encode({
    type: 'query',
    id: 78,
    questions: [{ name: 'sips.example.es', type: 'A' }],
    additionals: [
      { name: '.', type: 'OPT', udpPayloadSize: 1232 } as dnsPacket.OptAnswer,
      { name: '.', type: 'OPT', udpPayloadSize: 1232 } as dnsPacket.OptAnswer,
    ],
  });
  t.is(rcodeOf(decode(responder.answer(twoOpts, 'udp'))), 'FORMERR');
  t.true(responder.counters.slowPath >= 2);
});

test('a NOTIFY or UPDATE is NOTIMP; a response is never answered', (t) => {
  const update = query('example.es', 'SOA');
  update.writeUInt16BE(0x2800, 2); // opcode 5
  const packet = decode(responder.answer(update, 'udp'));
  t.is(rcodeOf(packet), 'NOTIMP');
  t.is((packet as unknown as { opcode: string }).opcode, 'UPDATE');
  const response = query('example.es', 'SOA');
  response.writeUInt16BE(0x8000, 2);
  t.is(responder.answer(response, 'udp'), undefined);
});
