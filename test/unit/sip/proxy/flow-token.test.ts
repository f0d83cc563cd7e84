import test from 'ava';
import fc from 'fast-check';
import { FlowTokens, type Flow } from '../../../../src/sip/proxy/index.js';

const flows: Flow[] = [
  { transport: 'udp', address: '203.0.113.5', port: 40000 },
  { transport: 'tls', address: '2001:db8::7', port: 5554, connectionId: 'ee1a796332c7cc1a' },
];

test('a token names its flows and reads back to them; its characters are all allowed in a URI user part', (t) => {
  const tokens = new FlowTokens();
  const token = tokens.encode(flows);
  t.regex(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  t.deepEqual(tokens.decode(token), flows);
});

test('a token from another process (another key), or changed in any character, is not ours', (t) => {
  const mine = new FlowTokens();
  const token = mine.encode(flows);
  t.is(new FlowTokens().decode(token), undefined);
  fc.assert(
    fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...'ABCabc019-_.'), (at, char) => {
      fc.pre(token[at] !== char);
      const changed = `${token.slice(0, at)}${char}${token.slice(at + 1)}`;
      return new FlowTokens(Buffer.alloc(32, 1)).decode(changed) === undefined && mine.decode(changed) === undefined;
    }),
  );
});

test('garbage in the user part of a Route is never a token, and never throws', (t) => {
  const tokens = new FlowTokens();
  fc.assert(fc.property(fc.string(), (text) => tokens.decode(text) === undefined));
  t.is(tokens.decode('alice'), undefined);
  t.is(tokens.decode('.'), undefined);
});
