import { isUtf8 } from 'node:buffer';

/*
 * WebSocket frames (RFC 6455 section 5): a reader that turns a byte stream into messages and control frames,
 * enforcing the rules a server must (client frames masked, no reserved bits or opcodes, control frames whole and
 * short, fragments in order, text valid UTF-8, a size limit checked from the header before any payload is kept),
 * and an encoder. No extensions are negotiated, so no reserved bit is ever valid.
 */

export const OPCODE = Object.freeze({ continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 });

/** Close codes (RFC 6455 7.4.1) we send. */
export const CLOSE = Object.freeze({
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  /** Close frame without a code: reported as this, never sent. */
  noStatus: 1005,
  invalidPayload: 1007,
  policy: 1008,
  tooBig: 1009,
  internalError: 1011,
});

export interface FrameSink {
  /** A whole data message, its fragments joined. Text messages are valid UTF-8. */
  message(payload: Buffer, binary: boolean): void;
  ping(payload: Buffer): void;
  pong(payload: Buffer): void;
  /** The peer's close frame: its code (1005 when it gave none) and reason. Nothing more is read after it. */
  close(code: number, reason: string): void;
  /** A violation: close the connection with `code`. Nothing more is read after it. */
  error(code: number, reason: string): void;
}

export interface FrameReaderOptions {
  /** Largest message (all its fragments together), checked against each frame's announced length. */
  readonly maxMessageBytes: number;
  /** A server requires masked frames (RFC 6455 5.1); a client requires unmasked ones. */
  readonly expectMasked: boolean;
}

const EMPTY = Buffer.alloc(0);

export class FrameReader {
  private pending: Buffer = EMPTY;
  private fragments: Buffer[] = [];
  private fragmentedBytes = 0;
  /** The opcode of the message being reassembled, or -1 when none is. */
  private messageOpcode = -1;
  private done = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly options: FrameReaderOptions,
  ) {}

  /** True once a close frame or an error ended the stream. */
  get finished(): boolean {
    return this.done;
  }

  push(chunk: Buffer): void {
    if (this.done || chunk.length === 0) return;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (!this.done && this.step());
  }

  /** Reads one frame if it is all there; true when one was read. */
  private step(): boolean {
    const p = this.pending;
    if (p.length < 2) return false;
    const fin = (p[0]! & 0x80) !== 0;
    const opcode = p[0]! & 0x0f;
    const masked = (p[1]! & 0x80) !== 0;
    let length = p[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (p.length < 4) return false;
      length = p.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (p.length < 10) return false;
      const high = p.readUInt32BE(2);
      // The most significant bit must be 0; past 2^53 a number cannot even hold it. Either way: far over any limit.
      if (high > 0x1fffff) return this.fail(CLOSE.tooBig, 'frame length beyond 2^53');
      length = high * 2 ** 32 + p.readUInt32BE(6);
      offset = 10;
    }
    const problem = this.check(p[0]!, opcode, fin, masked, length);
    if (problem) return this.fail(problem[0], problem[1]);
    const payloadStart = offset + (masked ? 4 : 0);
    if (p.length < payloadStart + length) return false;
    const payload = Buffer.from(p.subarray(payloadStart, payloadStart + length));
    if (masked) unmask(payload, p, offset);
    this.pending = p.length === payloadStart + length ? EMPTY : p.subarray(payloadStart + length);
    this.frame(opcode, fin, payload);
    return true;
  }

  /** The rules that can be checked from the header alone: [close code, reason] for the first one broken. */
  private check(first: number, opcode: number, fin: boolean, masked: boolean, length: number): [number, string] | null {
    if ((first & 0x70) !== 0) return [CLOSE.protocolError, 'reserved bits set without an extension'];
    if (masked !== this.options.expectMasked) {
      return [CLOSE.protocolError, masked ? 'masked frame from a server' : 'unmasked frame from a client'];
    }
    if (opcode >= 8) {
      if (opcode > OPCODE.pong) return [CLOSE.protocolError, `reserved control opcode ${opcode}`];
      if (!fin) return [CLOSE.protocolError, 'fragmented control frame'];
      if (length > 125) return [CLOSE.protocolError, 'control frame over 125 bytes'];
      return null;
    }
    if (opcode > OPCODE.binary) return [CLOSE.protocolError, `reserved data opcode ${opcode}`];
    if (opcode === OPCODE.continuation && this.messageOpcode < 0) {
      return [CLOSE.protocolError, 'continuation frame without a message to continue'];
    }
    if (opcode !== OPCODE.continuation && this.messageOpcode >= 0) {
      return [CLOSE.protocolError, 'new message before the last one ended'];
    }
    if (this.fragmentedBytes + length > this.options.maxMessageBytes) {
      return [CLOSE.tooBig, `message over ${this.options.maxMessageBytes} bytes`];
    }
    return null;
  }

  private frame(opcode: number, fin: boolean, payload: Buffer): void {
    switch (opcode) {
      case OPCODE.ping:
        this.sink.ping(payload);
        return;
      case OPCODE.pong:
        this.sink.pong(payload);
        return;
      case OPCODE.close:
        this.closeFrame(payload);
        return;
    }
    if (opcode !== OPCODE.continuation) this.messageOpcode = opcode;
    if (!fin) {
      this.fragments.push(payload);
      this.fragmentedBytes += payload.length;
      return;
    }
    const whole = this.fragments.length === 0 ? payload : Buffer.concat([...this.fragments, payload]);
    const binary = this.messageOpcode === OPCODE.binary;
    this.fragments = [];
    this.fragmentedBytes = 0;
    this.messageOpcode = -1;
    if (!binary && !isUtf8(whole)) {
      this.fail(CLOSE.invalidPayload, 'text message is not valid UTF-8');
      return;
    }
    this.sink.message(whole, binary);
  }

  private closeFrame(payload: Buffer): void {
    if (payload.length === 1) {
      this.fail(CLOSE.protocolError, 'close frame with a 1-byte payload');
      return;
    }
    if (payload.length === 0) {
      this.finish();
      this.sink.close(CLOSE.noStatus, '');
      return;
    }
    const code = payload.readUInt16BE(0);
    if (!isValidCloseCode(code)) {
      this.fail(CLOSE.protocolError, `close code ${code} is not one a peer may send`);
      return;
    }
    const reason = payload.subarray(2);
    if (!isUtf8(reason)) {
      this.fail(CLOSE.invalidPayload, 'close reason is not valid UTF-8');
      return;
    }
    this.finish();
    this.sink.close(code, reason.toString('utf8'));
  }

  private fail(code: number, reason: string): false {
    this.finish();
    this.sink.error(code, reason);
    return false;
  }

  private finish(): void {
    this.done = true;
    this.pending = EMPTY;
    this.fragments = [];
  }
}

/** RFC 6455 7.4: the codes a close frame may carry (1004-1006 and 1015 are never sent; 1016-2999 are unassigned). */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

function unmask(payload: Buffer, source: Buffer, keyAt: number): void {
  for (let i = 0; i < payload.length; i++) payload[i]! ^= source[keyAt + (i & 3)]!;
}

export interface EncodeOptions {
  /** False for every fragment but the last. Default true. */
  readonly fin?: boolean;
  /** A 4-byte masking key: clients must mask, servers must not. */
  readonly mask?: Buffer;
}

/** One frame. A server sends unmasked frames; a client (tests, benchmarks) passes a mask. */
export function encodeFrame(opcode: number, payload: Buffer, options: EncodeOptions = {}): Buffer {
  const { fin = true, mask } = options;
  const length = payload.length;
  const extended = length < 126 ? 0 : length <= 0xffff ? 2 : 8;
  const headerLength = 2 + extended + (mask ? 4 : 0);
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = (fin ? 0x80 : 0) | (opcode & 0x0f);
  frame[1] = (mask ? 0x80 : 0) | (extended === 0 ? length : extended === 2 ? 126 : 127);
  if (extended === 2) frame.writeUInt16BE(length, 2);
  else if (extended === 8) {
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  if (!mask) {
    payload.copy(frame, headerLength);
    return frame;
  }
  mask.copy(frame, headerLength - 4, 0, 4);
  for (let i = 0; i < length; i++) frame[headerLength + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/** A close frame with a code and a short reason (cut to fit the 125-byte control frame limit). */
export function encodeClose(code: number, reason = '', mask?: Buffer): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return encodeFrame(
    OPCODE.close,
    isUtf8(payload.subarray(2)) ? payload : payload.subarray(0, 2),
    mask ? { mask } : {},
  );
}
