import test from 'ava';
import fc from 'fast-check';
import {
  SipParseError,
  SipRequest,
  StreamFramer,
  createResponse,
  parseDatagram,
  parseHead,
  parseNameAddr,
  parseUri,
  type SipMessage,
} from '../../../src/sip/message/index.js';
import { nameAddr, request, sipUri } from './generators.js';

// Property-based tests: valid messages survive a round trip; any bytes at all, random or mutated, give a message
// or a SipParseError and never anything else; an answer to a malformed request is itself a well-formed response.

test('random valid URIs and addresses are written back byte for byte', (t) => {
  fc.assert(
    fc.property(sipUri(true), (uri) => parseUri(uri, 'To').toString() === uri),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(nameAddr(true), (value) => parseNameAddr(value, 'Contact').toString() === value),
    { numRuns: 500 },
  );
  t.pass();
});

test('random valid requests are read as generated and written back byte for byte', (t) => {
  fc.assert(
    fc.property(request, (generated) => {
      const message = parseDatagram(generated.bytes) as SipRequest;
      return (
        message.toBuffer().equals(generated.bytes) &&
        message.method === generated.method &&
        message.uri().toString() === generated.uri &&
        message.vias().map(String).join('|') === generated.vias.join('|') &&
        message.from().tag === generated.fromTag &&
        message.callId() === generated.callId &&
        message.cseq().seq === generated.seq &&
        message.contacts().contacts.map(String).join('|') === generated.contacts.join('|') &&
        message.body.equals(generated.body)
      );
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('a stream of random valid requests cut at random places gives the same requests', (t) => {
  fc.assert(
    fc.property(
      fc.array(request, { minLength: 1, maxLength: 4 }),
      fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 20 }),
      (requests, cuts) => {
        const stream = Buffer.concat(requests.map((r) => r.bytes));
        const seen: string[] = [];
        const framer = new StreamFramer({
          message: (m) => seen.push(m.callId()),
          keepAlive: () => undefined,
          error: (error) => {
            throw error;
          },
        });
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const size = cuts[i % cuts.length]!;
          framer.push(stream.subarray(at, at + size));
          at += size;
        }
        return seen.join('|') === requests.map((r) => r.callId).join('|') && framer.buffered === 0;
      },
    ),
    { numRuns: 100 },
  );
  t.pass();
});

/** Reads bytes and every typed view; anything thrown must be a SipParseError. Returns the answer, if any. */
function readEverything(bytes: Buffer): Buffer | undefined {
  let message: SipMessage;
  try {
    message = parseDatagram(bytes, { maxMessageBytes: 65535, maxHeaders: 64 });
  } catch (error) {
    if (!(error instanceof SipParseError)) throw error;
    return error.request ? createResponse(error.request, error.status, error.reason).toBuffer() : undefined;
  }
  const views: (() => unknown)[] = [
    () => message.vias(),
    () => message.contacts(),
    () => message.routes(),
    () => message.recordRoutes(),
    () => message.paths(),
    () => message.expires(),
    () => message.maxForwards(),
    () => (message instanceof SipRequest ? message.uri() : undefined),
    () => message.headers.getAll('allow'),
    () => message.toBuffer(),
  ];
  for (const view of views) {
    try {
      view();
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
    }
  }
  return message instanceof SipRequest ? createResponse(message, 200).toBuffer() : undefined;
}

/** An answer must itself read as a response (no broken line, nothing smuggled from the request). */
/**
 * An answer is a response the sender can match: its start line, Via, Call-ID and CSeq read. From and To are copied
 * as the request wrote them, so a 400 for a broken From or To carries that same header back (RFC 4475 quotbal).
 */
function isWellFormedResponse(answer: Buffer | undefined): boolean {
  if (answer === undefined) return true;
  const text = answer.toString('latin1');
  const response = parseHead(text.slice(0, text.indexOf('\r\n\r\n'))).message;
  if (!response || response.isRequest || response.headers.count('via') < 1) return false;
  response.topVia();
  response.callId();
  response.cseq();
  return true;
}

test('random bytes give a message or a SipParseError, never another exception, in datagrams and streams', (t) => {
  const noise = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc
      .array(fc.constantFrom(...'SIP/2.0 INVITE sip:@;=<>"\\\r\n:, \t%[]?&'.split('')), { maxLength: 300 })
      .map((parts) => Buffer.from(parts.join(''))),
  );
  fc.assert(
    fc.property(noise, (bytes) => {
      const answer = readEverything(Buffer.from(bytes));
      const framer = new StreamFramer({ message: () => undefined, keepAlive: () => undefined, error: () => undefined });
      framer.push(Buffer.from(bytes));
      return isWellFormedResponse(answer);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    byte: fc.constantFrom(0x00, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x3a, 0x3b, 0x3c, 0x3e, 0x5c, 0xff),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 60 }) }),
);

interface Mutation {
  readonly kind: string;
  readonly at: number;
  readonly byte?: number;
  readonly length?: number;
}

function mutate(bytes: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = Buffer.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.kind === 'flip') out[at] = m.byte!;
    else if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from([m.byte!]), out.subarray(at)]);
    else if (m.kind === 'delete') out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.length!)]);
    else if (m.kind === 'truncate') out = out.subarray(0, at);
    else out = Buffer.concat([out.subarray(0, at + m.length!), out.subarray(at)]);
  }
  return out;
}

test('mutated valid requests give a message or a SipParseError, and any answer is a well-formed response', (t) => {
  let answered = 0;
  fc.assert(
    fc.property(request, fc.array(mutation, { minLength: 1, maxLength: 4 }), (generated, mutations) => {
      const bytes = mutate(generated.bytes, mutations);
      const answer = readEverything(bytes);
      if (answer) answered++;
      const framer = new StreamFramer({
        message: (m) => m.toBuffer(),
        keepAlive: () => undefined,
        error: () => undefined,
      });
      framer.push(bytes);
      return isWellFormedResponse(answer);
    }),
    { numRuns: 1500 },
  );
  t.true(answered > 0, 'some mutated requests were still answerable');
});
