import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { Responder } from './responder.js';

/** A connection idle this long is closed (RFC 7766 6.2.3 suggests seconds, not minutes). */
const IDLE_TIMEOUT_MS = 10_000;
/** More connections than this at once are refused: each costs memory, and UDP is the normal transport. */
const MAX_CONNECTIONS = 256;
/** A message length prefix is 2 bytes; nothing longer than that can be buffered. */
const MAX_BUFFERED = 2 + 65_535;
/** Answers written but not read by the client beyond this end the connection. */
const MAX_UNREAD_BYTES = 1024 * 1024;

/**
 * DNS over TCP on one address (RFC 7766): 2-byte length-prefixed messages, several per connection, answered in
 * order. A message too short for a header ends the connection; so does an idle or a stuck client.
 */
export class TcpListener {
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly address: string,
    readonly port: number,
    private readonly server: Server,
  ) {}

  static async bind(address: string, port: number, responder: Responder, log: Logger): Promise<TcpListener> {
    const server = createServer({ noDelay: true });
    const listener = new TcpListener(address, port, server);
    server.maxConnections = MAX_CONNECTIONS;
    server.on('connection', (socket) => listener.serve(socket, responder, log));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port, exclusive: true, ipv6Only: isIPv6(address) }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => log.warn({ err: error, address, port }, `TCP ${address}:${port}: ${error.message}`));
    return listener;
  }

  private serve(socket: Socket, responder: Responder, log: Logger): void {
    this.sockets.add(socket);
    socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => undefined); // a reset by the client: the close below cleans up
    socket.on('close', () => this.sockets.delete(socket));
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        let response: Buffer | undefined;
        try {
          response = responder.answer(message, 'tcp');
        } catch (error) {
          log.error({ err: error }, 'unexpected exception answering a TCP query, please report it as a bug');
        }
        if (!response) {
          socket.destroy(); // not a query: nothing sensible can follow on this stream
          return;
        }
        const prefix = Buffer.allocUnsafe(2);
        prefix.writeUInt16BE(response.length, 0);
        socket.write(Buffer.concat([prefix, response]));
        if (socket.writableLength > MAX_UNREAD_BYTES) {
          socket.destroy(); // a client that asks without reading would grow our buffer without bound
          return;
        }
      }
      if (buffered.length > MAX_BUFFERED) socket.destroy();
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
