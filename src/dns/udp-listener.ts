import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../log.js';
import type { Responder } from './responder.js';

/** Kernel socket buffers large enough to ride out a burst while the event loop is busy (the defaults are ~200 kB). */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Replies go to the address a query came from, always an IP literal: no resolver step (dgram's default lookup
 * defers every send by one tick even for a literal).
 */
function literal(
  address: string,
  family: unknown,
  callback: (error: Error | null, address: string, family: number) => void,
) {
  callback(null, address, isIPv6(address) ? 6 : 4);
}

/**
 * One UDP socket bound to one address. Node has no IP_PKTINFO: a socket bound to 0.0.0.0 would let the kernel pick
 * the source of each reply, which need not be the address the query came to (a VIP), and resolvers drop such
 * replies. One socket per address makes every reply leave from the address it answers for.
 */
export class UdpListener {
  private constructor(
    readonly address: string,
    readonly port: number,
    private readonly socket: Socket,
  ) {}

  /** Binds; rejects with the bind error (EADDRNOTAVAIL for a VIP absent without ip_nonlocal_bind, EADDRINUSE...). */
  static async bind(address: string, port: number, responder: Responder, log: Logger): Promise<UdpListener> {
    const socket = createSocket({
      type: isIPv6(address) ? 'udp6' : 'udp4',
      ipv6Only: isIPv6(address),
      lookup: literal,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
      socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
    } catch {
      // capped by net.core.rmem_max / wmem_max: the kernel's sizes then
    }
    let lastErrorLogged = 0;
    socket.on('error', (error) => {
      // A send to an unreachable client: nothing to do but go on. Logged at most once a second.
      if (Date.now() - lastErrorLogged < 1000) return;
      lastErrorLogged = Date.now();
      log.warn({ err: error, address, port }, `UDP socket ${address}:${port}: ${error.message}`);
    });
    socket.on('message', (message, peer) => {
      let response: Buffer | undefined;
      try {
        response = responder.answer(message, 'udp');
      } catch (error) {
        // A bug, not the client's fault: the responder never throws by design. Keep serving.
        log.error({ err: error }, 'unexpected exception answering a UDP query, please report it as a bug');
        return;
      }
      if (response) socket.send(response, peer.port, peer.address);
    });
    return new UdpListener(address, port, socket);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}
