import { connect as connectTls, type TLSSocket } from 'node:tls';

/*
 * A SIP client flow over TLS for the benchmarks: one connection that sends requests and resolves each with the
 * status of its final response, in order (the client keeps one request outstanding per flow, so answers come back
 * in the order asked). It keeps the newest session ticket the server gave, so that a reconnection can resume.
 * Answers are read with a few lines of code here (status line, Content-Length), not with the proxy's parser.
 */

export interface TlsTarget {
  readonly port: number;
  /** The CA that issued the proxy's certificate (PEM). */
  readonly ca: string | Buffer;
}

interface Waiter {
  resolve(status: number): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class TlsSipFlow {
  /** The newest session ticket from the server, to resume with on a next connection. */
  session: Buffer | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting: Waiter[] = [];

  private constructor(readonly socket: TLSSocket) {
    socket.on('session', (ticket: Buffer) => (this.session = ticket));
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the proxy closed the connection')));
  }

  /** Connects (a full handshake, or a resumption with `session`) and resolves once the handshake is done. */
  static open(target: TlsTarget, session?: Buffer, timeoutMs = 30_000): Promise<TlsSipFlow> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({
        host: '127.0.0.1',
        port: target.port,
        ca: target.ca,
        servername: 'localhost',
        ...(session ? { session } : {}),
      });
      // As a SIP client does: a REGISTER written right after the handshake's last message is not held back for
      // its ACK (Nagle), which would add a delayed-ACK wait to every new connection.
      socket.setNoDelay(true);
      // Listening from the start: a TLS 1.2 server gives its ticket before the handshake completes.
      const flow = new TlsSipFlow(socket);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no TLS handshake within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(flow);
      });
    });
  }

  /** Whether the handshake resumed a session (no certificate, no key exchange signature). */
  get resumed(): boolean {
    return this.socket.isSessionReused();
  }

  get local(): { address: string; port: number } {
    return { address: this.socket.localAddress ?? '127.0.0.1', port: this.socket.localPort ?? 0 };
  }

  /** Sends a request; resolves with the status of its final response, rejects when none came within the time. */
  request(bytes: Buffer, timeoutMs = 4_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(new Error(`no final response within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiting.push(waiter);
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.toString('latin1', 0, end);
      const length = Number(/\r\n(?:Content-Length|l)\s*:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.buffer.length < end + 4 + length) return;
      this.buffer = this.buffer.subarray(end + 4 + length);
      const status = Number(/^SIP\/2\.0 (\d{3}) /.exec(head)?.[1] ?? 0);
      // A provisional response is not the answer.
      if (status >= 100 && status < 200) continue;
      const waiter = this.waiting.shift();
      if (!waiter) continue;
      clearTimeout(waiter.timer);
      waiter.resolve(status);
    }
  }

  private fail(error: Error): void {
    for (const waiter of this.waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}

/** The name of generated user `index` (1-based), as the TLS benchmarks register it. */
export const tlsUser = (index: number): string => `tlsbench${index}`;

let branches = 0;

/**
 * A REGISTER for generated user `index` over this flow, as the UDP/TCP benchmark's SIPp scenario sends it:
 * +sip.instance and RFC 8599 push parameters as a Linphone app sends them, an hour's expiry.
 */
export function registerRequest(index: number, local: { address: string; port: number }, cseq = 1): Buffer {
  const user = tlsUser(index);
  const instance = `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
  const via = `${local.address}:${local.port}`;
  const tag = `${process.pid}-${++branches}`;
  return Buffer.from(
    [
      'REGISTER sip:sips.example.es SIP/2.0',
      `Via: SIP/2.0/TLS ${via};branch=z9hG4bK-tls-${tag};rport`,
      'Max-Forwards: 70',
      `From: <sip:${user}@sips.example.es>;tag=${tag}`,
      `To: <sip:${user}@sips.example.es>`,
      `Call-ID: tls-${tag}`,
      `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:${user}@${via};pn-provider=fcm;pn-prid=bench-token-${instance};pn-param=917288118967;pn-silent=1;transport=tls>;+sip.instance="<urn:uuid:${instance}>"`,
      'Expires: 3600',
      'Supported: gruu, path',
      'User-Agent: stg sip-register TLS benchmark',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}
