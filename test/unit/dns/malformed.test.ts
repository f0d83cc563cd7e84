import * as dnsPacket from 'dns-packet';
import test from 'ava';
import fc from 'fast-check';
import { CORPUS } from './corpus.js';
import { query, responderWith } from './fixture.js';

/*
 * Whatever arrives, the responder never throws: it answers a message with a header (with its ID) or drops it.
 * A corpus of known-bad shapes first, then random bytes and random mutations of valid queries.
 */

const responder = responderWith();

function checkAnswer(message: Buffer): void {
  const response = responder.answer(message, 'udp');
  if (response === undefined) return;
  if (response.length < 12) throw new Error(`a response of ${response.length} bytes`);
  if (response.readUInt16BE(0) !== message.readUInt16BE(0)) throw new Error('the response does not carry the ID');
  if ((response[2]! & 0x80) === 0) throw new Error('the response is not flagged as a response');
  dnsPacket.decode(response); // every response is itself well-formed
  responder.answer(message, 'tcp');
}

const valid = query('sips.example.es', 'A');

for (const [label, message] of CORPUS) {
  test(`malformed: ${label}`, (t) => {
    t.notThrows(() => checkAnswer(message));
  });
}

test('random bytes never make the responder throw', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (bytes) => checkAnswer(Buffer.from(bytes))),
      { numRuns: 5000 },
    ),
  );
});

test('valid queries with random bytes changed never make the responder throw', (t) => {
  const seeds = [
    valid,
    query('_sips._tcp.sips.example.es', 'SRV', { edns: { dnssecOk: true } }),
    query('nope.example.es', 'NAPTR', { edns: false }),
  ];
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat({ max: 80 }),
        (seed, changes, cut) => {
          const message = Buffer.from(seed);
          for (const [at, value] of changes) message[at % message.length] = value;
          checkAnswer(message.subarray(0, Math.max(0, message.length - cut)));
        },
      ),
      { numRuns: 5000 },
    ),
  );
});
