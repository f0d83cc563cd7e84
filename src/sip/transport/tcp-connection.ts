import type { Socket } from 'node:net';
import { StreamFramer, type ParseLimits } from '../message/index.js';
import type { Flow, FlowEvents, FlowInfo } from './flow.js';

const CRLF = Buffer.from('\r\n');
/** How long a closing connection may take to flush its last answer before it is destroyed. */
export const LINGER_MS = 2_000;

/**
 * One TCP or TLS connection, accepted or opened by us, with its framer (RFC 3261 18.3: Content-Length framing) and
 * its id. A TLS connection is the same thing over a TLSSocket, which is a Socket. A request can only be sent back on
 * the same connection while it lives.
 */
export class TcpConnection implements Flow {
  readonly id: string;
  readonly transport: FlowInfo['transport'];
  readonly remote: FlowInfo['remote'];
  readonly local: FlowInfo['local'];
  readonly accepted: boolean;
  readonly proxy: FlowInfo['proxy'];
  readonly serverName: string | undefined;
  private readonly framer: StreamFramer;
  private closing = false;
  private isClosed = false;

  constructor(
    private readonly socket: Socket,
    info: FlowInfo,
    private readonly events: FlowEvents,
    limits: ParseLimits,
    idleTimeoutMs: number,
    private readonly maxQueuedBytes: number,
  ) {
    this.id = info.id;
    this.transport = info.transport;
    this.remote = info.remote;
    this.local = info.local;
    this.accepted = info.accepted;
    this.proxy = info.proxy;
    this.serverName = info.serverName;
    this.framer = new StreamFramer(
      {
        message: (message) => events.message(this, message),
        keepAlive: () => {
          // RFC 5626 4.4.1: a CRLFCRLF ping gets a CRLF pong.
          this.write(CRLF);
          events.keepAlive(this);
        },
        error: (error, fatal) => {
          if (fatal) this.closing = true;
          events.malformed(this, error, fatal);
          if (fatal) this.close();
        },
      },
      limits,
    );
    socket.setNoDelay(true);
    socket.setTimeout(idleTimeoutMs, () => this.destroy());
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.markClosed());
    // A socket handed over by the PROXY header reader is paused, with the bytes after the header put back.
    socket.resume();
  }

  get open(): boolean {
    return !this.isClosed && !this.closing;
  }

  /** Writes bytes; false when the connection is closing or closed. A peer that stops reading is cut off. */
  write(bytes: Buffer): boolean {
    if (this.isClosed || this.socket.destroyed) return false;
    this.socket.write(bytes);
    if (this.socket.writableLength > this.maxQueuedBytes) {
      this.destroy();
      return false;
    }
    return true;
  }

  /** Flushes what was written, then closes; destroyed if the peer does not take it in time. */
  close(): void {
    this.closing = true;
    if (this.isClosed) return;
    this.socket.end();
    setTimeout(() => this.destroy(), LINGER_MS).unref();
  }

  destroy(): void {
    if (!this.socket.destroyed) this.socket.destroy();
    this.markClosed();
  }

  private read(chunk: Buffer): void {
    if (this.closing) return;
    try {
      this.framer.push(chunk);
    } catch (error) {
      this.events.bug(this, error);
      this.destroy();
    }
  }

  private markClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.events.closed(this);
  }
}
