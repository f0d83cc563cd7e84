import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Endpoint } from './types.js';

export type DatagramHandler = (bytes: Buffer, remote: Endpoint, listener: UdpListener) => void;

/**
 * One UDP socket bound to one configured address. The receive buffer is enlarged: a burst of REGISTERs after a
 * failover must wait in the kernel, not be dropped there (Kamailio needed 4 MiB to stop dropping at 10,000/s).
 */
export class UdpListener {
  private constructor(
    private readonly socket: Socket,
    readonly local: Endpoint,
    readonly family: 4 | 6,
  ) {}

  static async bind(
    address: string,
    port: number,
    receiveBufferBytes: number,
    onDatagram: DatagramHandler,
    onError: (error: Error) => void,
  ): Promise<UdpListener> {
    const family = isIPv6(address) ? 6 : 4;
    const socket = createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      ipv6Only: family === 6,
      recvBufferSize: receiveBufferBytes,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const bound = socket.address();
    const listener = new UdpListener(socket, { address, port: bound.port }, family);
    socket.on('message', (bytes, remote) =>
      onDatagram(bytes, { address: remote.address, port: remote.port }, listener),
    );
    // A send error surfaces here as well as in its callback; neither may end the process.
    socket.on('error', onError);
    return listener;
  }

  /** The receive buffer the kernel granted (Linux reports twice what was asked, capped by rmem_max). */
  get receiveBufferBytes(): number {
    return this.socket.getRecvBufferSize();
  }

  send(bytes: Buffer, address: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(bytes, port, address, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
