import test from 'ava';
import { NameAddr, SipParseError, SipUri, parseNameAddr } from '../../../src/sip/message/index.js';

test('a quoted display name keeps its escapes as written and reads without them', (t) => {
  const value = '"J Rosenberg \\\\\\"" <sip:jdrosen@example.com> ; tag = 98asjd8';
  const address = parseNameAddr(value, 'From');
  t.is(address.displayName, '"J Rosenberg \\\\\\""');
  t.is(address.display, 'J Rosenberg \\"');
  t.is(address.tag, '98asjd8');
  t.is(address.uri.toString(), 'sip:jdrosen@example.com');
  t.is(address.toString(), value);
});

test('token display names, none, and no space before < (RFC 4475 lwsdisp)', (t) => {
  t.is(parseNameAddr('caller<sip:caller@example.com>;tag=323', 'From').display, 'caller');
  t.is(parseNameAddr("token1~` token2'+_ <sip:a@example.com>", 'From').displayName, "token1~` token2'+_");
  t.is(parseNameAddr('<sip:a@example.com>', 'To').displayName, undefined);
});

test('in an addr-spec the parameters after ; belong to the header, not the URI', (t) => {
  const address = parseNameAddr('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n', 'To');
  t.is(address.tag, '1918181833n');
  t.is((address.uri as SipUri).params.length, 0);
  const inside = parseNameAddr('<sip:a@example.com;lr>;tag=1', 'To');
  t.is((inside.uri as SipUri).param('lr'), null);
  t.is(inside.tag, '1');
});

test('other schemes are valid addresses (RFC 4475 novelsc)', (t) => {
  t.is(parseNameAddr('isbn:2983792873', 'To').uri.kind, 'other');
  t.is(parseNameAddr('<http://www.example.com>;tag=I23', 'From').tag, 'I23');
});

const invalid: [string, string][] = [
  ['unterminated quoted display name (quotbal)', '"Mr. J. User <sip:j.user@example.com>'],
  ['spaces inside <> (badaspec)', '"Watson, Thomas" < sip:t.watson@example.org >'],
  ['non-token display name without quotes (baddn)', 'Watson, Thomas <sip:t.watson@example.org>'],
  ['URI with ? outside <> (regbadct)', 'sip:user@example.com?Route=%3Csip:sip.example.com%3E'],
  ['no closing >', '<sip:a@example.com'],
  ['empty parameters (badinv01)', '"Joe" <sip:joe@example.org>;;;;'],
  ['display name without URI', '"Joe"'],
  ['text after the parameters', '<sip:a@example.com>;tag=1 junk'],
];
for (const [name, value] of invalid) {
  test(`an invalid address is a parse error: ${name}`, (t) => {
    const error = t.throws(() => parseNameAddr(value, 'To'), { instanceOf: SipParseError });
    t.is(error?.reason, 'Bad To header');
  });
}

test('changed copies are written with angle brackets; the original keeps its text', (t) => {
  const original = parseNameAddr('sip:alice@example.com;tag=1', 'From');
  t.is(original.withParam('tag', '2').toString(), '<sip:alice@example.com>;tag=2');
  t.is(original.withDisplay('Alice "A"').toString(), '"Alice \\"A\\"" <sip:alice@example.com>;tag=1');
  t.is(original.withoutParam('tag').toString(), '<sip:alice@example.com>');
  t.is(original.toString(), 'sip:alice@example.com;tag=1');
  const built = new NameAddr({ uri: new SipUri({ scheme: 'sip', host: 'example.com' }) });
  t.is(built.toString(), '<sip:example.com>');
});
