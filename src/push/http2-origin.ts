import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { rootCertificates } from 'node:tls';
import type { Logger } from '../log.js';

export interface TlsMaterial {
  /** Extra trusted CAs (PEM); the system's are trusted too. */
  ca?: string;
  /** A client certificate and its key (PEM), for APNs certificate auth. */
  cert?: string;
  key?: string;
}

export interface Http2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request that got no HTTP answer (connect failure, reset, timeout): always worth retrying elsewhere or later. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/**
 * One HTTP/2 origin (scheme, host, port) reached over one long-lived session, as APNs asks ("keep your
 * connections open ... don't repeatedly open and close them") and as FCM's HTTP/2 endpoint allows. Requests share
 * the session; a session the server ends with GOAWAY, or that fails, is left to finish its streams while new
 * requests open a fresh one. A request the server refused unprocessed (GOAWAY past its stream, REFUSED_STREAM) is
 * sent once more on the new session, since it cannot have had an effect.
 */
export class Http2Origin {
  private session: ClientHttp2Session | undefined;
  /** How many sessions this origin opened (tests check reuse and reconnection). */
  opened = 0;
  private closed = false;

  constructor(
    readonly origin: string,
    private readonly tls: TlsMaterial,
    private readonly log: Logger,
  ) {}

  async request(options: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: string;
    timeoutMs: number;
  }): Promise<Http2Answer> {
    try {
      return await this.once(options);
    } catch (error) {
      if (error instanceof TransportError && error.code === 'REFUSED') return this.once(options);
      throw error;
    }
  }

  private once(options: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: string;
    timeoutMs: number;
  }): Promise<Http2Answer> {
    if (this.closed) return Promise.reject(new TransportError(`${this.origin}: client closed`, 'CLOSED'));
    return new Promise((resolve, reject) => {
      let session: ClientHttp2Session;
      let stream;
      try {
        session = this.current();
        stream = session.request({
          ':method': options.method,
          ':path': options.path,
          ...options.headers,
          'content-length': String(Buffer.byteLength(options.body)),
        });
      } catch (error) {
        // The session went away between our check and the request (GOAWAY just arrived): nothing was sent.
        this.drop(this.session);
        reject(new TransportError(`${this.origin}: ${(error as Error).message}`, 'REFUSED'));
        return;
      }
      let status = 0;
      let headers: IncomingHttpHeaders = {};
      let settled = false;
      const chunks: Buffer[] = [];
      const fail = (message: string, code: string) => {
        if (settled) return;
        settled = true;
        reject(new TransportError(`${this.origin}: ${message}`, code));
      };
      stream.setTimeout(options.timeoutMs, () => {
        fail(`no answer within ${options.timeoutMs} ms`, 'TIMEOUT');
        stream.close(constants.NGHTTP2_CANCEL);
      });
      stream.on('response', (received) => {
        headers = received;
        status = Number(received[':status'] ?? 0);
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (settled) return;
        settled = true;
        resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      stream.on('error', (error: NodeJS.ErrnoException) => {
        const refused = error.code === 'ERR_HTTP2_GOAWAY_SESSION' || /REFUSED_STREAM/.test(error.message);
        fail(error.message, refused ? 'REFUSED' : (error.code ?? 'STREAM'));
      });
      stream.on('close', () => {
        // A stream reset or a session destroyed without an error event still needs an answer.
        const refused = stream.rstCode === constants.NGHTTP2_REFUSED_STREAM;
        fail(`stream closed before a complete answer (code ${stream.rstCode})`, refused ? 'REFUSED' : 'CLOSED');
      });
      stream.end(options.body);
    });
  }

  /** The live session, or a new one. */
  private current(): ClientHttp2Session {
    const existing = this.session;
    if (existing && !existing.closed && !existing.destroyed) return existing;
    // Node's `ca` replaces the system's CAs; an extra CA (tests, a TLS-inspecting proxy) must add to them instead.
    const ca = this.tls.ca ? [...rootCertificates, this.tls.ca] : undefined;
    const session = connect(this.origin, { ...this.tls, ca, rejectUnauthorized: true });
    this.opened += 1;
    this.session = session;
    session.on('goaway', (code: number) => {
      this.log.info({ origin: this.origin, code }, 'HTTP/2 GOAWAY: the next request opens a new session');
      this.drop(session);
    });
    session.on('error', (error: Error) => {
      this.log.warn({ origin: this.origin, err: error }, 'HTTP/2 session failed');
      this.drop(session);
    });
    session.on('close', () => this.drop(session));
    return session;
  }

  private drop(session: ClientHttp2Session | undefined): void {
    if (session && this.session === session) this.session = undefined;
    if (session && !session.closed && !session.destroyed) session.close(); // in-flight streams finish first
  }

  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (!session || session.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        session.destroy();
        resolve();
      }, 2000);
      timer.unref();
      session.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
