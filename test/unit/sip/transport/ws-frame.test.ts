import test from 'ava';
import fc from 'fast-check';
import { FrameReader, encodeClose, encodeFrame, type FrameSink } from '../../../../src/sip/transport/ws-frame.js';

// The WebSocket frame reader and encoder (RFC 6455 5): the RFC's own examples byte for byte, the rules a server
// enforces, and properties over random input: what is encoded is read back whatever the chunking, and no bytes at
// all make the reader throw or go on after it stopped.

type Event =
  | { kind: 'message'; payload: Buffer; binary: boolean }
  | { kind: 'ping' | 'pong'; payload: Buffer }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'error'; code: number; reason: string };

function reader(expectMasked: boolean, maxMessageBytes = 1 << 20): { reader: FrameReader; events: Event[] } {
  const events: Event[] = [];
  const sink: FrameSink = {
    message: (payload, binary) => events.push({ kind: 'message', payload, binary }),
    ping: (payload) => events.push({ kind: 'ping', payload }),
    pong: (payload) => events.push({ kind: 'pong', payload }),
    close: (code, reason) => events.push({ kind: 'close', code, reason }),
    error: (code, reason) => events.push({ kind: 'error', code, reason }),
  };
  return { reader: new FrameReader(sink, { maxMessageBytes, expectMasked }), events };
}

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
const MASK = hex('37fa213d');

test('RFC 6455 5.7: the examples are read as the RFC says and encoded to the same bytes', (t) => {
  const client = reader(false);
  client.reader.push(hex('81 05 48656c6c6f'));
  client.reader.push(hex('01 03 48656c 80 02 6c6f'));
  client.reader.push(hex('89 05 48656c6c6f'));
  t.deepEqual(
    client.events.map((e) => [e.kind, 'payload' in e ? e.payload.toString() : '']),
    [
      ['message', 'Hello'],
      ['message', 'Hello'],
      ['ping', 'Hello'],
    ],
  );
  const server = reader(true);
  server.reader.push(hex('81 85 37fa213d 7f9f4d5158'));
  server.reader.push(hex('8a 85 37fa213d 7f9f4d5158'));
  t.deepEqual(
    server.events.map((e) => [e.kind, 'payload' in e ? e.payload.toString() : '']),
    [
      ['message', 'Hello'],
      ['pong', 'Hello'],
    ],
  );
  t.deepEqual(encodeFrame(1, Buffer.from('Hello')), hex('81 05 48656c6c6f'));
  t.deepEqual(encodeFrame(1, Buffer.from('Hello'), { mask: MASK }), hex('81 85 37fa213d 7f9f4d5158'));
  t.deepEqual(encodeFrame(2, Buffer.alloc(256)).subarray(0, 4), hex('82 7e 0100'));
  t.deepEqual(encodeFrame(2, Buffer.alloc(65536)).subarray(0, 10), hex('82 7f 0000000000010000'));
  t.deepEqual(encodeClose(1000, 'bye'), hex('88 05 03e8 627965'));
});

test('a server refuses what a client must not send, with the close code that says why', (t) => {
  const cases: [string, Buffer, number][] = [
    ['unmasked', hex('81 02 6869'), 1002],
    ['reserved bit', Buffer.concat([hex('c1'), encodeFrame(1, Buffer.from('x'), { mask: MASK }).subarray(1)]), 1002],
    ['reserved data opcode', encodeFrame(5, Buffer.from('x'), { mask: MASK }), 1002],
    ['reserved control opcode', encodeFrame(0xb, Buffer.from('x'), { mask: MASK }), 1002],
    ['fragmented control', encodeFrame(9, Buffer.alloc(1), { fin: false, mask: MASK }), 1002],
    ['long control', encodeFrame(9, Buffer.alloc(126), { mask: MASK }), 1002],
    ['lone continuation', encodeFrame(0, Buffer.from('x'), { mask: MASK }), 1002],
    [
      'new message inside another',
      Buffer.concat([
        encodeFrame(1, Buffer.from('a'), { fin: false, mask: MASK }),
        encodeFrame(1, Buffer.from('b'), { mask: MASK }),
      ]),
      1002,
    ],
    ['invalid UTF-8', encodeFrame(1, hex('c328'), { mask: MASK }), 1007],
    ['1-byte close', encodeFrame(8, hex('03'), { mask: MASK }), 1002],
    ['close code 1005', encodeFrame(8, hex('03ed'), { mask: MASK }), 1002],
    ['close reason not UTF-8', encodeFrame(8, hex('03e8 ff'), { mask: MASK }), 1007],
    ['length with the top bit set', hex('81 ff 8000000000000000 37fa213d'), 1009],
  ];
  for (const [name, bytes, code] of cases) {
    const { reader: r, events } = reader(true);
    r.push(bytes);
    t.like(events, [{ kind: 'error', code }], name);
    t.is(events.length, 1, name);
    r.push(encodeFrame(1, Buffer.from('more'), { mask: MASK }));
    t.is(events.length, 1, `${name}: nothing is read after the error`);
  }
});

test('the size limit is enforced from the frame headers, before the payload arrives', (t) => {
  const { reader: r, events } = reader(true, 100);
  r.push(encodeFrame(1, Buffer.alloc(60, 0x41), { fin: false, mask: MASK }));
  t.is(events.length, 0);
  // Only the header of a frame that would bring the message to 120 bytes.
  r.push(encodeFrame(0, Buffer.alloc(60, 0x41), { mask: MASK }).subarray(0, 6));
  t.like(events, [{ kind: 'error', code: 1009 }]);
  const exact = reader(true, 100);
  exact.reader.push(encodeFrame(1, Buffer.alloc(100, 0x41), { mask: MASK }));
  t.like(exact.events, [{ kind: 'message' }]);
});

test('a close frame ends the stream: its code and reason, or 1005 when it has none', (t) => {
  const withCode = reader(true);
  withCode.reader.push(
    Buffer.concat([encodeClose(4000, 'app says bye', MASK), encodeFrame(1, Buffer.from('x'), { mask: MASK })]),
  );
  t.deepEqual(withCode.events, [{ kind: 'close', code: 4000, reason: 'app says bye' }]);
  const bare = reader(true);
  bare.reader.push(encodeFrame(8, Buffer.alloc(0), { mask: MASK }));
  t.deepEqual(bare.events, [{ kind: 'close', code: 1005, reason: '' }]);
});

/** A message as a client would send it: split into fragments, a ping possibly between them. */
const message = fc.record({
  payload: fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 300 }).map((text) => ({ bytes: Buffer.from(text), binary: false })),
    fc.uint8Array({ maxLength: 70_000 }).map((bytes) => ({ bytes: Buffer.from(bytes), binary: true })),
  ),
  cuts: fc.array(fc.nat(), { maxLength: 4 }),
  ping: fc.option(fc.uint8Array({ maxLength: 125 }), { nil: undefined }),
  mask: fc.uint8Array({ minLength: 4, maxLength: 4 }),
});

type Generated = {
  payload: { bytes: Buffer; binary: boolean };
  cuts: number[];
  ping: Uint8Array | undefined;
  mask: Uint8Array;
};

/** The frames of a generated message, and what a reader must report for them in order. */
function encodeMessage(m: Generated): { bytes: Buffer; events: Event[] } {
  const mask = Buffer.from(m.mask);
  const length = m.payload.bytes.length;
  const points = [...new Set(m.cuts.map((cut) => (length === 0 ? 0 : cut % length)))]
    .sort((a, b) => a - b)
    .filter((p) => p > 0);
  const edges = [0, ...points, length];
  const frames: Buffer[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const opcode = i === 0 ? (m.payload.binary ? 2 : 1) : 0;
    const fin = i + 2 === edges.length;
    frames.push(encodeFrame(opcode, m.payload.bytes.subarray(edges[i], edges[i + 1]), { fin, mask }));
    // A control frame may come between the fragments of a message (RFC 6455 5.4), or after a whole one.
    if (i === 0 && m.ping) frames.push(encodeFrame(9, Buffer.from(m.ping), { mask }));
  }
  const whole: Event = { kind: 'message', payload: m.payload.bytes, binary: m.payload.binary };
  const ping: Event[] = m.ping ? [{ kind: 'ping', payload: Buffer.from(m.ping) }] : [];
  return { bytes: Buffer.concat(frames), events: edges.length > 2 ? [...ping, whole] : [whole, ...ping] };
}

/** Cuts bytes into chunks at the given places. */
function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => (bytes.length === 0 ? 0 : cut % bytes.length)))].sort((a, b) => a - b);
  const edges = [0, ...points, bytes.length];
  return edges.slice(1).map((end, i) => bytes.subarray(edges[i], end));
}

test('property: messages encoded by a client are read back whole and in order, however the bytes are cut', (t) => {
  fc.assert(
    fc.property(fc.array(message, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (messages, cuts) => {
      const { reader: r, events } = reader(true);
      const encoded = messages.map(encodeMessage);
      for (const chunk of chunks(Buffer.concat(encoded.map((e) => e.bytes)), cuts)) r.push(chunk);
      t.deepEqual(
        events,
        encoded.flatMap((e) => e.events),
      );
    }),
    { numRuns: 200 },
  );
});

test('property: any bytes, in any chunks, never make the reader throw; after a close or an error it reads nothing', (t) => {
  const anyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
    // Valid streams with a few bytes changed: close to the rules, so they get further into the reader.
    fc
      .tuple(
        fc.array(message, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      )
      .map(([messages, flips]) => {
        const bytes = Buffer.concat(messages.map((m) => encodeMessage(m).bytes));
        for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
        return bytes;
      }),
  );
  fc.assert(
    fc.property(anyBytes, fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (bytes, cuts, expectMasked) => {
      const { reader: r, events } = reader(expectMasked, 4096);
      for (const chunk of chunks(bytes, cuts)) r.push(chunk);
      const last = events.findIndex((e) => e.kind === 'close' || e.kind === 'error');
      t.true(last === -1 || last === events.length - 1, 'nothing after a close or an error');
      t.true(events.every((e) => e.kind !== 'message' || e.payload.length <= 4096));
      t.true(events.every((e) => e.kind !== 'ping' || e.payload.length <= 125));
    }),
    { numRuns: 1000 },
  );
});
