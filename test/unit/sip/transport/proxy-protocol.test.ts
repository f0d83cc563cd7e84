import test from 'ava';
import fc from 'fast-check';
import {
  MAX_PROXY_V2_BYTES,
  readProxyHeader,
  startsWithProxyHeader,
} from '../../../../src/sip/transport/proxy-protocol.js';
import { proxyV1, proxyV2, proxyV2Local } from '../../../fixtures/sip/proxy-header.js';

// The PROXY protocol parser (haproxy doc/proxy-protocol.txt): v2 and v1 headers as HAProxy writes them, every way
// one can be incomplete or broken, and any bytes at all without a throw.

const V4 = { source: '203.0.113.7', sourcePort: 40000, destination: '198.51.100.10', destinationPort: 5554 };
const V6 = { source: '2001:db8::7', sourcePort: 1, destination: '2001:db8:0:0:1::10', destinationPort: 65535 };

test('v2 over IPv4 and IPv6: the client, the destination and the header length; TLVs are skipped', (t) => {
  const tail = Buffer.from('INVITE ');
  t.deepEqual(readProxyHeader(Buffer.concat([proxyV2(V4), tail])), {
    kind: 'header',
    version: 2,
    length: 28,
    source: { address: '203.0.113.7', port: 40000 },
    destination: { address: '198.51.100.10', port: 5554 },
  });
  const withTlvs = proxyV2(V6, [
    [0x01, Buffer.from('h2')],
    [0x02, Buffer.from('sip.example.net')],
  ]);
  t.deepEqual(readProxyHeader(withTlvs), {
    kind: 'header',
    version: 2,
    length: 52 + 5 + 18,
    source: { address: '2001:db8::7', port: 1 },
    // RFC 5952 text, as the kernel would give it: the first of two equal runs of zeros is the one compressed.
    destination: { address: '2001:db8::1:0:0:10', port: 65535 },
  });
});

test('v2: an IPv4-mapped IPv6 client is plain IPv4; LOCAL, UNSPEC and UNIX keep the connection own addresses', (t) => {
  const mapped = proxyV2({ ...V6, source: '::ffff:cb00:7107' });
  t.like(readProxyHeader(mapped), { source: { address: '203.0.113.7' } });
  t.deepEqual(readProxyHeader(proxyV2Local()), { kind: 'header', version: 2, length: 16 });
  const unspec = proxyV2(V4);
  unspec[13] = 0x00;
  t.deepEqual(readProxyHeader(unspec), { kind: 'header', version: 2, length: 28 });
  const unix = Buffer.concat([proxyV2Local().subarray(0, 12), Buffer.from([0x21, 0x31, 0x00, 216]), Buffer.alloc(216)]);
  t.deepEqual(readProxyHeader(unix), { kind: 'header', version: 2, length: 232 });
});

test('v1: TCP4, TCP6 and UNKNOWN; malformed lines are invalid', (t) => {
  t.deepEqual(readProxyHeader(proxyV1(V4)), {
    kind: 'header',
    version: 1,
    length: proxyV1(V4).length,
    source: { address: '203.0.113.7', port: 40000 },
    destination: { address: '198.51.100.10', port: 5554 },
  });
  t.like(readProxyHeader(proxyV1(V6)), { source: { address: '2001:db8::7', port: 1 } });
  t.deepEqual(readProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')), { kind: 'header', version: 1, length: 15 });
  for (const line of [
    'PROXY TCP4 203.0.113.7 198.51.100.10 40000\r\n',
    'PROXY TCP4 2001:db8::7 198.51.100.10 1 2\r\n',
    'PROXY TCP6 203.0.113.7 198.51.100.10 1 2\r\n',
    'PROXY TCP4 203.0.113.7 198.51.100.10 1 65536\r\n',
    'PROXY UDP4 203.0.113.7 198.51.100.10 1 2\r\n',
    'PROXY TCP4  203.0.113.7 198.51.100.10 1 2\r\n',
    `PROXY TCP4 ${'9'.repeat(100)}\r\n`,
  ]) {
    t.is(readProxyHeader(Buffer.from(line)).kind, 'invalid', line);
  }
  t.is(readProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`)).kind, 'invalid', 'no CRLF within 107 bytes');
});

test('every proper prefix of a header is incomplete; broken v2 fields are invalid', (t) => {
  for (const header of [proxyV2(V4), proxyV2(V6), proxyV1(V4), proxyV2Local()]) {
    for (let i = 0; i < header.length; i++) t.is(readProxyHeader(header.subarray(0, i)).kind, 'incomplete');
  }
  const broken = (at: number, value: number) => {
    const header = proxyV2(V4);
    header[at] = value;
    return readProxyHeader(header);
  };
  t.like(broken(12, 0x11), { kind: 'invalid', reason: 'version 1, not 2' });
  t.like(broken(12, 0x22), { kind: 'invalid', reason: 'unknown command 2' });
  t.like(broken(13, 0x41), { kind: 'invalid' });
  t.like(broken(15, 4), { kind: 'invalid', reason: 'IPv4 address block shorter than 12 bytes' });
  const huge = proxyV2(V4);
  huge.writeUInt16BE(MAX_PROXY_V2_BYTES, 14);
  t.like(readProxyHeader(huge), { kind: 'invalid' });
  t.like(readProxyHeader(Buffer.from('OPTIONS sip:x SIP/2.0\r\n')), { kind: 'invalid' });
});

test('startsWithProxyHeader tells as soon as the bytes allow, and waits on a common prefix', (t) => {
  t.true(startsWithProxyHeader(proxyV2(V4)));
  t.true(startsWithProxyHeader(Buffer.from('PROXY ')));
  t.is(startsWithProxyHeader(Buffer.from('\r\n\r\n')), undefined);
  t.is(startsWithProxyHeader(Buffer.from('PROX')), undefined);
  t.false(startsWithProxyHeader(Buffer.from('\r\n\r\nX')));
  t.false(startsWithProxyHeader(Buffer.from('OPTIONS')));
  t.false(startsWithProxyHeader(Buffer.from([0x16, 0x03, 0x01])));
});

test('property: any bytes give a verdict and never a throw; a valid header with anything after it is read exactly', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const verdict = readProxyHeader(Buffer.from(bytes));
      t.true(['incomplete', 'invalid', 'header'].includes(verdict.kind));
    }),
    { numRuns: 2000 },
  );
  const signed = fc
    .tuple(fc.uint8Array({ minLength: 4, maxLength: 200 }), fc.boolean())
    .map(([rest, v2]) =>
      Buffer.concat([v2 ? proxyV2Local().subarray(0, 12) : Buffer.from('PROXY '), Buffer.from(rest)]),
    );
  fc.assert(
    fc.property(signed, (bytes) => {
      const verdict = readProxyHeader(bytes);
      if (verdict.kind === 'header') t.true(verdict.length <= bytes.length);
    }),
    { numRuns: 2000 },
  );
  const address = fc.ipV4();
  fc.assert(
    fc.property(
      address,
      address,
      fc.nat(65535),
      fc.nat(65535),
      fc.uint8Array({ maxLength: 40 }),
      (src, dst, sp, dp, tail) => {
        const header = proxyV2({ source: src, destination: dst, sourcePort: sp, destinationPort: dp });
        const verdict = readProxyHeader(Buffer.concat([header, Buffer.from(tail)]));
        t.deepEqual(verdict, {
          kind: 'header',
          version: 2,
          length: header.length,
          source: { address: src, port: sp },
          destination: { address: dst, port: dp },
        });
      },
    ),
    { numRuns: 300 },
  );
});
