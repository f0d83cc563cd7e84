import test from 'ava';
import type { AorSummary, BindingReport } from '../../../src/cli/registrations/read-registrations.js';
import { renderRegistration, renderRegistrationList } from '../../../src/cli/registrations/render-registrations.js';

const summary = (overrides: Partial<AorSummary>): AorSummary => ({
  aor: '6109*01@sips.example.es',
  live: 1,
  pushable: 0,
  proxies: [],
  nodes: [],
  stale: 0,
  ...overrides,
});

test('the list names the node of each fs-proxy-id a proxy announced, and shows an unknown id as it is', (t) => {
  const text = renderRegistrationList([
    summary({ proxies: ['26378b0194d4162e', 'ffffffffffffffff'], nodes: ['stg1', null], live: 2 }),
    summary({ aor: '7000@sips.example.es' }),
  ]);
  t.regex(text, /^6109\*01@sips\.example\.es\s+2\s+0\s+stg1, ffffffffffffffff \(fs-proxy-id\)\s+0$/m);
  t.regex(text, /^7000@sips\.example\.es\s+1\s+0\s+-\s+0$/m, 'no Path: no node');
  t.regex(text, /2 address\(es\) of record, 3 live contact\(s\)\./);
  t.is(renderRegistrationList([]), 'No registrations (no fs:* record in the data Redis).');
});

test('a binding names its node, else its fs-proxy-id, else says it has no Path', (t) => {
  const binding: BindingReport = {
    field: '"<urn:uuid:1>"',
    contact: 'sip:6109*01@198.51.100.7:5062;transport=tls',
    instance: '"<urn:uuid:1>"',
    expiresInS: 30,
    proxyId: '26378b0194d4162e',
    node: 'stg2',
    connectionId: 'c1',
    push: null,
    userAgent: null,
    callId: 'x',
    cseq: 3,
    updatedAt: '2026-11-26T17:00:00.000Z',
    error: null,
  };
  t.regex(renderRegistration('a@b', [binding]), /^Node\s+stg2$/m);
  t.regex(renderRegistration('a@b', [{ ...binding, node: null }]), /^Node\s+26378b0194d4162e \(fs-proxy-id\)$/m);
  t.regex(
    renderRegistration('a@b', [{ ...binding, node: null, proxyId: null }]),
    /^Node\s+- \(no Path: this proxy\)$/m,
  );
});
