import test from 'ava';
import fc from 'fast-check';
import { parseCredentials, readDigestCredentials } from '../../../../src/sip/auth/credentials-header.js';
import { SipParseError } from '../../../../src/sip/message/index.js';

// The Authorization parser: what real clients write is read, every malformed header is a SipParseError (so the
// caller answers 400), and nothing at all, random or mutated, makes it throw anything else.

const SIPP_STYLE =
  'Digest username="alice",realm="example.com",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:example.com",' +
  'nonce="abc",response="0123456789abcdef0123456789abcdef",algorithm=MD5,opaque="op"';

function digest(value: string) {
  const parsed = parseCredentials(value, 'Authorization');
  if (parsed.params === undefined) throw new Error('not digest');
  return readDigestCredentials(parsed.params, 'Authorization');
}

function badHeader(t: import('ava').ExecutionContext, value: string, detail: RegExp): void {
  const error = t.throws(() => digest(value), { instanceOf: SipParseError }, value);
  t.is(error?.reason, 'Bad Authorization header');
  t.is(error?.status, 400);
  t.regex(error?.message ?? '', detail, value);
}

test('credentials as SIPp, Linphone-style and RFC examples write them', (t) => {
  const sipp = digest(SIPP_STYLE);
  t.like(sipp, {
    username: 'alice',
    realm: 'example.com',
    nonce: 'abc',
    uri: 'sip:example.com',
    algorithm: 'MD5',
    qop: 'auth',
    nc: '00000001',
    cnonce: '6b8b4567',
    opaque: 'op',
    userhash: false,
  });
  // Spaces and tabs around "=" and ",", a quoted qop and algorithm, names in any case, an empty list element.
  const loose = digest(
    'digest  Username = "bob" ,\tREALM="r", nonce="n",, uri="sip:r", response="ABCDEF", qop="auth", ' +
      'nc=0000000a, cnonce="c", algorithm="SHA-256"',
  );
  t.like(loose, { username: 'bob', realm: 'r', algorithm: 'SHA-256', qop: 'auth', nc: '0000000a', response: 'ABCDEF' });
  // No algorithm parameter means MD5 (RFC 7616 section 3.3); quoted-pairs are unescaped.
  const escaped = digest('Digest username="a\\"b\\\\c", realm="r", nonce="n", uri="u", response="ab"');
  t.is(escaped.username, 'a"b\\c');
  t.is(escaped.algorithm, 'MD5');
  t.is(escaped.qop, undefined);
});

test('other schemes are not read, and not refused', (t) => {
  t.deepEqual(parseCredentials('Bearer eyJhbGciOi.x-y_z', 'Authorization'), { scheme: 'Bearer', params: undefined });
  t.deepEqual(parseCredentials('Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Authorization'), {
    scheme: 'Basic',
    params: undefined,
  });
});

test('malformed headers: each a SipParseError with a reason that says what is wrong', (t) => {
  badHeader(t, '', /no authentication scheme/);
  badHeader(t, '"Digest" username="a"', /no authentication scheme/);
  badHeader(t, 'Digest', /Digest without parameters/);
  badHeader(t, 'Digest ,,', /Digest without parameters/);
  badHeader(t, 'Digest/1 username="a"', /after the scheme/);
  badHeader(t, 'Digest username', /no "=" after parameter "username"/);
  badHeader(t, 'Digest username=', /no value for parameter "username"/);
  badHeader(t, 'Digest username="a', /unterminated quoted string/);
  badHeader(t, 'Digest username="a" realm="r"', /a comma expected/);
  badHeader(t, 'Digest username="a", username="b"', /given twice/);
  badHeader(t, 'Digest username="a", USERNAME="b"', /given twice/);
  badHeader(t, 'Digest username="a\u0000b", realm="r"', /control character/);
  badHeader(t, 'Digest =x', /a parameter name expected/);
  badHeader(t, `Digest ${Array.from({ length: 40 }, (_, i) => `p${i}=x`).join(', ')}`, /more than 32 parameters/);
  const base = 'realm="r", nonce="n", uri="u", response="ab"';
  badHeader(t, `Digest ${base}`, /no username parameter$/);
  badHeader(t, `Digest username*=UTF-8''%c3%a4, ${base}`, /no username parameter \(username\* is not supported\)/);
  badHeader(t, 'Digest username="a", nonce="n", uri="u", response="ab"', /no realm parameter/);
  badHeader(t, 'Digest username="a", realm="r", nonce="n", uri="u", response="xyz"', /not hex/);
  badHeader(t, `Digest username="a", ${base}, qop=auth, nc=1, cnonce="c"`, /nc "1" is not 8 hex digits/);
  badHeader(t, `Digest username="a", ${base}, qop=auth, cnonce="c"`, /qop without nc and cnonce/);
  badHeader(t, `Digest username="a", ${base}, qop=auth, nc=00000001, cnonce=""`, /qop without nc and cnonce/);
});

const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,12}$/);
/** Text a quoted-string may hold: no control characters but tab. */
const quotedText = fc
  .string({ maxLength: 20 })
  .map((s) => [...s].filter((c) => c === '\t' || (c >= ' ' && c !== '\x7f')).join(''));
const space = fc.constantFrom('', ' ', '  ', '\t', ' \t ');

test('generated headers: every parameter read back as written, names without case, quotes undone', (t) => {
  const params = fc.uniqueArray(
    fc.tuple(
      token,
      fc.oneof(
        token.map((v) => ({ v, q: false })),
        quotedText.map((v) => ({ v, q: true })),
      ),
    ),
    {
      minLength: 1,
      maxLength: 12,
      selector: ([name]) => name.toLowerCase(),
    },
  );
  fc.assert(
    fc.property(params, space, space, (list, before, after) => {
      const text =
        'Digest ' +
        list
          .map(([name, { v, q }]) => `${name}${before}=${after}${q ? `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"` : v}`)
          .join(`${before},${after}`);
      const parsed = parseCredentials(text, 'Authorization');
      return (
        parsed.params !== undefined &&
        parsed.params.size === list.length &&
        list.every(([name, { v, q }]) => {
          const got = parsed.params!.get(name.toLowerCase());
          return got !== undefined && got.value === v && got.quoted === q;
        })
      );
    }),
    { numRuns: 1000 },
  );
  t.pass();
});

function neverCrashes(value: string): boolean {
  try {
    const parsed = parseCredentials(value, 'Proxy-Authorization');
    if (parsed.params) readDigestCredentials(parsed.params, 'Proxy-Authorization');
    return true;
  } catch (error) {
    return error instanceof SipParseError && error.status === 400 && error.reason === 'Bad Proxy-Authorization header';
  }
}

test('any text at all: a result or a SipParseError, never another exception', (t) => {
  fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), neverCrashes), { numRuns: 3000 });
  fc.assert(
    fc.property(
      fc.string({ maxLength: 300 }).map((s) => `Digest ${s}`),
      neverCrashes,
    ),
    { numRuns: 3000 },
  );
  t.pass();
});

test('valid credentials with random edits (insert, delete, replace): never another exception', (t) => {
  const edit = fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 3, unit: 'binary' }));
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
      let text = SIPP_STYLE;
      for (const [at, remove, insert] of edits) {
        const i = at % (text.length + 1);
        text = text.slice(0, i) + insert + text.slice(i + remove);
      }
      return neverCrashes(text);
    }),
    { numRuns: 5000 },
  );
  t.pass();
});
