import test from 'ava';
import {
  computeHa1,
  computeResponse,
  parseAlgorithm,
  sameDigest,
  type DigestAlgorithm,
} from '../../../../src/sip/auth/digest-algorithms.js';

// The published examples: RFC 7616 section 3.9.1 (the same request answered with SHA-256 and with MD5) and RFC 2617
// section 3.5 (MD5). Each response is checked against the value printed in the RFC.

const rfc7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
  method: 'GET',
  uri: '/dir/index.html',
};

const expected7616: Record<DigestAlgorithm, string> = {
  'SHA-256': '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  MD5: '8ca523f5e9506fed4657c9700eebdbec',
};

for (const algorithm of ['SHA-256', 'MD5'] as const) {
  test(`RFC 7616 section 3.9.1 example with ${algorithm}`, (t) => {
    const ha1 = computeHa1(algorithm, rfc7616.username, rfc7616.realm, rfc7616.password);
    const response = computeResponse(algorithm, { ...rfc7616, ha1, qop: 'auth' });
    t.is(response, expected7616[algorithm]);
  });
}

test('RFC 2617 section 3.5 example (MD5, qop=auth)', (t) => {
  const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
  const response = computeResponse('MD5', {
    ha1,
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    nc: '00000001',
    cnonce: '0a4f113b',
    qop: 'auth',
    method: 'GET',
    uri: '/dir/index.html',
  });
  t.is(response, '6629fae49393a05397450978507c4ef1');
});

test('a change of any input changes the response', (t) => {
  const base = { ha1: computeHa1('SHA-256', 'alice', 'example.com', 'pw'), nonce: 'n', nc: '00000001', cnonce: 'c' };
  const reference = computeResponse('SHA-256', { ...base, qop: 'auth', method: 'REGISTER', uri: 'sip:example.com' });
  for (const changed of [
    { ...base, nc: '00000002' },
    { ...base, nonce: 'm' },
    { ...base, cnonce: 'd' },
    { ...base, ha1: computeHa1('SHA-256', 'alice', 'example.com', 'pW') },
  ]) {
    t.not(
      computeResponse('SHA-256', { ...changed, qop: 'auth', method: 'REGISTER', uri: 'sip:example.com' }),
      reference,
    );
  }
  t.not(computeResponse('SHA-256', { ...base, qop: 'auth', method: 'INVITE', uri: 'sip:example.com' }), reference);
  t.not(computeResponse('SHA-256', { ...base, qop: 'auth', method: 'REGISTER', uri: 'sip:example.org' }), reference);
});

test('algorithm names: the two offered, any case; the -sess variants and others are not ours', (t) => {
  t.is(parseAlgorithm('MD5'), 'MD5');
  t.is(parseAlgorithm('md5'), 'MD5');
  t.is(parseAlgorithm('sha-256'), 'SHA-256');
  for (const other of ['MD5-sess', 'SHA-256-sess', 'SHA-512-256', 'AKAv1-MD5', '', 'SHA256']) {
    t.is(parseAlgorithm(other), undefined, other);
  }
});

test('response comparison: equal hex in any case matches; another value or length does not', (t) => {
  const value = '8ca523f5e9506fed4657c9700eebdbec';
  t.true(sameDigest(value, value));
  t.true(sameDigest(value.toUpperCase(), value));
  t.false(sameDigest('8ca523f5e9506fed4657c9700eebdbed', value));
  t.false(sameDigest(value.slice(0, 31), value));
  t.false(sameDigest(`${value}00`, value));
  t.false(sameDigest('', value));
});
