import { query } from './fixture.js';

const valid = query('sips.example.es', 'A');
const header = (flags: number, qd: number, an: number, ns: number, ar: number) => {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt16BE(0xbeef, 0);
  bytes.writeUInt16BE(flags, 2);
  [qd, an, ns, ar].forEach((count, index) => bytes.writeUInt16BE(count, 4 + 2 * index));
  return bytes;
};

/** Malformed or hostile messages, each named for what is wrong with it. */
export const CORPUS: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.from([0])],
  ['header only, one question announced', header(0x0100, 1, 0, 0, 0)],
  ['header only, every count at maximum', header(0x0100, 0xffff, 0xffff, 0xffff, 0xffff)],
  ['a label running past the end', Buffer.concat([header(0, 1, 0, 0, 0), Buffer.from([63, 0x61, 0x61])])],
  ['a pointer loop', Buffer.concat([header(0, 1, 0, 0, 0), Buffer.from([0xc0, 12, 0, 1, 0, 1])])],
  ['a forward pointer', Buffer.concat([header(0, 1, 0, 0, 0), Buffer.from([0xc0, 40, 0, 1, 0, 1])])],
  ['a pointer with answers announced', Buffer.concat([header(0, 1, 1, 0, 0), Buffer.from([0xc0, 12, 0, 1, 0, 1])])],
  ['label type 0x40', Buffer.concat([header(0, 1, 0, 0, 0), Buffer.from([0x41, 0x61, 0, 0, 1, 0, 1])])],
  ['label type 0x80', Buffer.concat([header(0, 1, 0, 0, 0), Buffer.from([0x81, 0x61, 0, 0, 1, 0, 1])])],
  ['an OPT whose data runs past the end', Buffer.concat([valid.subarray(0, valid.length - 2), Buffer.from([0, 40])])],
  [
    'an additional record that is not OPT',
    Buffer.concat([
      header(0, 1, 0, 0, 1),
      valid.subarray(12, 33),
      Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3]),
    ]),
  ],
  [
    'an OPT with a truncated option',
    Buffer.concat([
      header(0, 1, 0, 0, 1),
      valid.subarray(12, 33),
      Buffer.from([0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 4, 0, 10, 0, 9]),
    ]),
  ],
  ['additional records announced but absent', Buffer.concat([header(0, 1, 0, 0, 3), valid.subarray(12, 33)])],
  ['a response', Buffer.concat([header(0x8000, 1, 0, 0, 0), valid.subarray(12, 33)])],
  ['a name of 300 bytes', Buffer.concat([header(0, 1, 0, 0, 0), Buffer.alloc(300, 5), Buffer.from([0, 0, 1, 0, 1])])],
  [
    'trailing garbage after the question',
    Buffer.concat([valid.subarray(0, 10), Buffer.from([0, 0]), valid.subarray(12, 33), Buffer.alloc(40, 0xff)]),
  ],
  ['opcode 15', Buffer.concat([header(0x7800, 1, 0, 0, 0), valid.subarray(12, 33)])],
  ['a 64 KiB message', Buffer.concat([valid, Buffer.alloc(65_000, 0xaa)])],
];
