import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import type { SipMessage } from './message.js';
import { finishMessage, parseHead, type Head } from './parse.js';
import { SipParseError } from './parse-error.js';

/** What a stream framer reports, in the order the bytes arrived. */
export interface StreamSink {
  message(message: SipMessage): void;
  /** A CRLFCRLF keep-alive ping between messages (RFC 5626 4.4.1): answer it with CRLF. */
  keepAlive(): void;
  /**
   * A message that could not be read. With `fatal` the framing is lost (no or bad Content-Length, no end of headers
   * within the size limit, not SIP at all): answer if `error.request` allows, then close the stream. Without it,
   * only that message was bad and the stream goes on.
   */
  error(error: SipParseError, fatal: boolean): void;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

/**
 * Cuts a TCP byte stream into SIP messages (RFC 3261 18.3): the head ends at the first empty line, the body is
 * exactly Content-Length bytes, which a stream message must carry. CRLFs before a start line are skipped (RFC 3261
 * 7.5), a CRLFCRLF there is a keep-alive ping. After a fatal error it ignores everything: the stream is to be closed.
 */
export class StreamFramer {
  private pending: Buffer = EMPTY;
  /** Where to resume looking for the end of the head, so that a slow head is not scanned again from its start. */
  private scanFrom = 0;
  private head: Head | undefined;
  private bodyStart = 0;
  private total = 0;
  private failed = false;

  constructor(
    private readonly sink: StreamSink,
    private readonly limits: ParseLimits = DEFAULT_PARSE_LIMITS,
  ) {}

  /** Bytes waiting for the rest of their message. */
  get buffered(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (!this.failed && this.step());
  }

  /** Reads what it can; true when something was consumed and there may be more. */
  private step(): boolean {
    if (!this.head) {
      if (!this.readHead()) return false;
      // Skipped CRLFs, or a ping: look again.
      if (!this.head) return true;
    }
    if (this.pending.length < this.total) return false;
    const message = this.head.message!;
    message.body = this.total > this.bodyStart ? Buffer.from(this.pending.subarray(this.bodyStart, this.total)) : EMPTY;
    const head = this.head;
    this.consume(this.total);
    this.head = undefined;
    let complete: SipMessage;
    try {
      complete = finishMessage(head, head.error);
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      this.sink.error(error, false);
      return true;
    }
    this.sink.message(complete);
    return true;
  }

  /** Skips CRLFs, finds and reads a head; true when one was read (or something was consumed). */
  private readHead(): boolean {
    const p = this.pending;
    if (p.length === 0) return false;
    if (p[0] === CR) {
      if (p.length < 2) return false;
      if (p[1] === LF) {
        if (p.length >= 4 && p[2] === CR && p[3] === LF) {
          this.consume(4);
          this.sink.keepAlive();
          return true;
        }
        // A lone CRLF may be the first half of a ping: wait for the next bytes to tell.
        if (p.length === 2 || (p.length === 3 && p[2] === CR)) return false;
        this.consume(2);
        return true;
      }
    }
    const end = p.indexOf(CRLFCRLF, this.scanFrom);
    if (end < 0) {
      if (p.length > this.limits.maxMessageBytes) {
        this.fail(new SipParseError('Message Too Large', 'no end of headers within the size limit', 513));
      } else {
        this.scanFrom = Math.max(0, p.length - 3);
      }
      return false;
    }
    this.scanFrom = 0;
    const head = parseHead(p.toString('utf8', 0, end), this.limits);
    if (!head.message) {
      this.fail(head.error ?? new SipParseError('Bad start line'));
      return false;
    }
    let length: number | undefined;
    try {
      length = head.message.contentLength();
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      this.fail(error, head);
      return false;
    }
    if (length === undefined) {
      this.fail(new SipParseError('Missing Content-Length header', 'required on a stream'), head);
      return false;
    }
    if (end + 4 + length > this.limits.maxMessageBytes) {
      this.fail(new SipParseError('Message Too Large', `${end + 4 + length} bytes`, 513), head);
      return false;
    }
    this.head = head;
    this.bodyStart = end + 4;
    this.total = end + 4 + length;
    return true;
  }

  private consume(count: number): void {
    this.pending = count >= this.pending.length ? EMPTY : this.pending.subarray(count);
  }

  /** Reports a fatal error, answerable when the head's essential headers could be read. */
  private fail(error: SipParseError, head?: Head): void {
    this.failed = true;
    this.pending = EMPTY;
    this.head = undefined;
    if (!head) {
      this.sink.error(error, true);
      return;
    }
    try {
      // A problem in the head itself (too many headers) explains the framing failure better than its consequence.
      finishMessage(head, head.error ?? error);
    } catch (thrown) {
      if (!(thrown instanceof SipParseError)) throw thrown;
      this.sink.error(thrown, true);
    }
  }
}
