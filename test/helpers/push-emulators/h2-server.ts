import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import type { AddressInfo } from 'node:net';

/** A request as the emulators see it: headers, the whole body, and the TLS peer (for client certificates). */
export interface EmulatorRequest {
  method: string;
  path: string;
  headers: Http2ServerRequest['headers'];
  body: Buffer;
  request: Http2ServerRequest;
}

export interface EmulatorAnswer {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is; undefined: no body. */
  body?: unknown;
}

/**
 * An HTTP/2 server over TLS on loopback, with a free port, counting sessions (so tests can see that a client
 * reuses one) and able to end a session with GOAWAY after answering (as APNs does when it rotates servers).
 */
export class H2Server {
  sessions = 0;
  private readonly live = new Set<Http2Session>();
  private goAwayAfter = 0;

  private constructor(
    private readonly server: Http2SecureServer,
    readonly port: number,
  ) {}

  static async start(
    tls: { cert: string; key: string; ca?: string; requestCert?: boolean; allowHTTP1?: boolean },
    handle: (request: EmulatorRequest) => Promise<EmulatorAnswer>,
  ): Promise<H2Server> {
    const server = createSecureServer({
      cert: tls.cert,
      key: tls.key,
      ca: tls.ca,
      requestCert: tls.requestCert ?? false,
      // Checked by the emulator itself, to answer as the provider does (403 BadCertificate) instead of a TLS alert.
      rejectUnauthorized: false,
      allowHTTP1: tls.allowHTTP1 ?? false,
    });
    const address = await new Promise<AddressInfo>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo));
    });
    const h2 = new H2Server(server, address.port);
    server.on('session', (session: Http2Session) => {
      h2.sessions += 1;
      h2.live.add(session);
      session.on('close', () => h2.live.delete(session));
      session.on('error', () => undefined);
    });
    server.on('request', (request: Http2ServerRequest, response: Http2ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const incoming = {
          method: request.method,
          path: request.url,
          headers: request.headers,
          body: Buffer.concat(chunks),
          request,
        };
        handle(incoming)
          .catch((error: unknown) => ({ status: 500, body: { reason: 'InternalServerError', error: String(error) } }))
          .then((answer) => h2.answer(request, response, answer));
      });
    });
    return h2;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** After the next answer, end that session with GOAWAY (streams in flight finish; new ones need a new session). */
  goAwayAfterNext(): void {
    this.goAwayAfter += 1;
  }

  private answer(request: Http2ServerRequest, response: Http2ServerResponse, answer: EmulatorAnswer): void {
    if (response.closed || response.destroyed) return; // the client went away while the answer was held
    const body =
      answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    const headers: Record<string, string> = { ...(answer.headers ?? {}) };
    if (body) headers['content-type'] ??= 'application/json; charset=UTF-8';
    response.writeHead(answer.status, headers);
    response.end(body);
    if (this.goAwayAfter > 0) {
      this.goAwayAfter -= 1;
      const session = request.stream.session;
      response.stream.once('close', () => {
        if (session && !session.destroyed) {
          session.goaway();
          session.close();
        }
      });
    }
  }

  async close(): Promise<void> {
    for (const session of this.live) session.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
