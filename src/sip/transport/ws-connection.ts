import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import { SipParseError, type ParseLimits } from '../message/index.js';
import type { Flow, FlowEvents, FlowInfo } from './flow.js';
import { LINGER_MS } from './tcp-connection.js';
import { CLOSE, FrameReader, OPCODE, encodeClose, encodeFrame } from './ws-frame.js';
import { isCrlfKeepAlive, parseWebSocketMessage } from './ws-message.js';

const CRLF = Buffer.from('\r\n');

/**
 * A SIP flow over a WebSocket (RFC 7118) after the upgrade: each WebSocket message is one SIP message, each SIP
 * message we send one WebSocket message (text when it is UTF-8, binary otherwise). Pings are answered; a CRLFCRLF
 * message gets a CRLF, as on TCP. A broken frame closes the connection with the RFC 6455 code that says why; a
 * malformed SIP message is answered (or dropped) and the connection goes on, since its framing is intact.
 */
export class WsConnection implements Flow {
  readonly id: string;
  readonly transport: FlowInfo['transport'];
  readonly remote: FlowInfo['remote'];
  readonly local: FlowInfo['local'];
  readonly accepted = true;
  readonly proxy: FlowInfo['proxy'];
  private readonly reader: FrameReader;
  private closing = false;
  private isClosed = false;

  /** `head`: the bytes that followed the upgrade request, already read by the HTTP parser. */
  constructor(
    private readonly socket: Socket,
    info: FlowInfo,
    head: Buffer,
    private readonly events: FlowEvents,
    private readonly limits: ParseLimits,
    idleTimeoutMs: number,
    private readonly maxQueuedBytes: number,
  ) {
    this.id = info.id;
    this.transport = info.transport;
    this.remote = info.remote;
    this.local = info.local;
    this.proxy = info.proxy;
    this.reader = new FrameReader(
      {
        message: (payload) => this.sipMessage(payload),
        ping: (payload) => {
          this.send(encodeFrame(OPCODE.pong, payload));
          events.keepAlive(this);
        },
        pong: () => undefined,
        close: (code) => this.closeWith(code === CLOSE.noStatus ? CLOSE.normal : code, ''),
        error: (code, reason) => {
          events.protocolError(this, reason);
          this.closeWith(code, reason);
        },
      },
      { maxMessageBytes: limits.maxMessageBytes, expectMasked: true },
    );
    socket.setNoDelay(true);
    socket.setTimeout(idleTimeoutMs, () => this.destroy());
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.markClosed());
    socket.resume();
    if (head.length > 0) this.read(head);
  }

  get open(): boolean {
    return !this.isClosed && !this.closing;
  }

  /** Sends one SIP message as one WebSocket message. */
  write(bytes: Buffer): boolean {
    if (this.closing) return false;
    return this.send(encodeFrame(isUtf8(bytes) ? OPCODE.text : OPCODE.binary, bytes));
  }

  /** Starts the closing handshake (1000), then closes the TCP connection. */
  close(): void {
    this.closeWith(CLOSE.normal, '');
  }

  destroy(): void {
    if (!this.socket.destroyed) this.socket.destroy();
    this.markClosed();
  }

  private send(frame: Buffer): boolean {
    if (this.isClosed || this.socket.destroyed) return false;
    this.socket.write(frame);
    if (this.socket.writableLength > this.maxQueuedBytes) {
      this.destroy();
      return false;
    }
    return true;
  }

  private closeWith(code: number, reason: string): void {
    if (this.closing || this.isClosed) return;
    this.send(encodeClose(code, reason));
    this.closing = true;
    // RFC 6455 7.1.1: the server closes the TCP connection first, once its close frame is out.
    this.socket.end();
    setTimeout(() => this.destroy(), LINGER_MS).unref();
  }

  private read(chunk: Buffer): void {
    if (this.closing) return;
    try {
      this.reader.push(chunk);
    } catch (error) {
      this.events.bug(this, error);
      this.destroy();
    }
  }

  private sipMessage(payload: Buffer): void {
    if (this.closing) return;
    if (isCrlfKeepAlive(payload)) {
      if (payload.length >= 4) this.write(CRLF);
      this.events.keepAlive(this);
      return;
    }
    try {
      this.events.message(this, parseWebSocketMessage(payload, this.limits));
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      this.events.malformed(this, error, false);
    }
  }

  private markClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.events.closed(this);
  }
}
