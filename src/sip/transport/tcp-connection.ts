import type { Socket } from 'node:net';
import { StreamFramer, type ParseLimits, type SipMessage, type SipParseError } from '../message/index.js';
import type { Endpoint } from './types.js';

/** What a connection reports to the TCP transport. */
export interface ConnectionEvents {
  message(connection: TcpConnection, message: SipMessage): void;
  keepAlive(connection: TcpConnection): void;
  /** A message that could not be read; with `fatal` the connection is closing once the answer (if any) is written. */
  malformed(connection: TcpConnection, error: SipParseError, fatal: boolean): void;
  closed(connection: TcpConnection): void;
  /** Parsing threw something other than SipParseError: a bug. The connection is closed; the process goes on. */
  bug(connection: TcpConnection, error: unknown): void;
}

const CRLF = Buffer.from('\r\n');
/** How long a closing connection may take to flush its last answer before it is destroyed. */
const LINGER_MS = 2_000;

/**
 * One TCP connection, accepted or opened by us, with its framer and its id. The id is random and unguessable: the
 * registrar stores it with a binding (fs-conn-id) and a request can only be sent back on the same connection while
 * it lives.
 */
export class TcpConnection {
  private readonly framer: StreamFramer;
  private closing = false;
  private isClosed = false;

  constructor(
    private readonly socket: Socket,
    readonly id: string,
    readonly remote: Endpoint,
    readonly local: Endpoint,
    /** True when the peer connected to us. */
    readonly accepted: boolean,
    private readonly events: ConnectionEvents,
    limits: ParseLimits,
    idleTimeoutMs: number,
    private readonly maxQueuedBytes: number,
  ) {
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
