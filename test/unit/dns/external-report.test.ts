import test from 'ava';
import { describeExternalDns, type ExternalDnsReport } from '../../../src/dns/external-report.js';
import { desiredRecords } from '../../../src/dns/external-sync.js';
import type { ExternalUpdateStatus } from '../../../src/dns/external/index.js';
import type { RecordContent } from '../../../src/dns/record-set.js';

const records = { name: 'sips.example.es', ttlS: 10, a: ['198.51.100.10'], aaaa: [] };
const base: ExternalUpdateStatus = {
  server: '192.0.2.53:53',
  zone: 'example.es',
  state: 'in-sync',
  pending: undefined,
  lastSuccess: { at: '2026-11-26T10:00:00.000Z', term: 4, records, changed: true },
  lastFailure: undefined,
  consecutiveFailures: 0,
  conflicts: 0,
};
const report = (updater: ExternalUpdateStatus | undefined, problem?: string): ExternalDnsReport => ({
  node: 'stg1',
  term: 4,
  at: '2026-11-26T10:00:01.000Z',
  updater,
  problem,
});

test('in sync, failing with the server answer and the next try, unusable configuration, no report', (t) => {
  t.is(
    describeExternalDns(report(base)),
    'External DNS 192.0.2.53:53 (zone example.es): in sync, sips.example.es -> 198.51.100.10 (leader stg1, term 4)',
  );
  const failing: ExternalUpdateStatus = {
    ...base,
    state: 'retrying',
    pending: { term: 4, records, since: '2026-11-26T10:00:00.000Z' },
    lastFailure: {
      at: '2026-11-26T10:00:00.500Z',
      term: 4,
      kind: 'not-authorized',
      reason: 'NOTAUTH(BADSIG): the TSIG key does not match the server',
      nextRetryAt: '2026-11-26T10:00:04.000Z',
    },
    consecutiveFailures: 3,
  };
  t.is(
    describeExternalDns(report(failing), Date.parse('2026-11-26T10:00:01.000Z')),
    'External DNS 192.0.2.53:53 (zone example.es): FAILING (3 in a row, next try in 3 s): NOTAUTH(BADSIG): the TSIG ' +
      'key does not match the server; wants sips.example.es -> 198.51.100.10 (leader stg1, term 4)',
  );
  t.is(
    describeExternalDns(report(undefined, 'dns.external: no TSIG key file')),
    'External DNS: NOT UPDATED (leader stg1, term 4): dns.external: no TSIG key file',
  );
  t.regex(describeExternalDns(undefined), /no leader reported on it/);
});

test('the desired records: the VIP in vip mode, the answering nodes (by family) in nodes mode', (t) => {
  const content = {
    mode: 'nodes',
    serviceName: 'sips.example.es',
    ttlS: 10,
    vip: null,
    nodes: [
      { id: 'stg1', address: '198.51.100.11' },
      { id: 'stg2', address: '2001:db8::12' },
      { id: 'stg3', address: '198.51.100.13' },
    ],
    answering: ['stg2', 'stg1'],
  } as unknown as RecordContent;
  t.deepEqual(desiredRecords(content), {
    name: 'sips.example.es',
    ttlS: 10,
    a: ['198.51.100.11'],
    aaaa: ['2001:db8::12'],
  });
  t.deepEqual(desiredRecords({ ...content, mode: 'vip', vip: '198.51.100.10' }).a, ['198.51.100.10']);
});
