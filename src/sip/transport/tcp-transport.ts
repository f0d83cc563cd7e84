import { connect, createServer, isIPv6, type Server, type Socket } from 'node:net';
import { randomHex, type ParseLimits } from '../message/index.js';
import { TcpConnection, type ConnectionEvents } from './tcp-connection.js';
import type { TransportCounters } from './counters.js';
import { SipTransportError, type Endpoint, type TransportLimits } from './types.js';

/**
 * The TCP side: listening sockets, the table of open connections (by id, and by remote address for reuse), and
 * outgoing connections opened on demand. Every connection, whichever side opened it, reads SIP through the same
 * events, so responses from a PBX arrive like requests from a device.
 */
export class TcpTransport {
  private readonly servers: Server[] = [];
  private readonly byId = new Map<string, TcpConnection>();
  private readonly byRemote = new Map<string, TcpConnection>();
  private readonly connecting = new Map<string, Promise<TcpConnection>>();
  private readonly perSource = new Map<string, number>();
  private readonly exempt: ReadonlySet<string>;
  private readonly connectionEvents: ConnectionEvents;
  private readonly closedListeners: ((connectionId: string) => void)[] = [];
  private closed = false;

  constructor(
    private readonly limits: TransportLimits,
    private readonly parseLimits: ParseLimits,
    events: ConnectionEvents,
    private readonly counters: TransportCounters,
  ) {
    this.exempt = new Set(limits.exemptSources);
    // The transport's events, with the table kept up to date when a connection closes.
    this.connectionEvents = { ...events, closed: (connection) => this.forget(connection, events) };
  }

  /** Listens on one address; returns the address and the port taken. */
  async listen(address: string, port: number): Promise<Endpoint> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    server.maxConnections = this.limits.maxTcpConnections;
    server.on('drop', () => {
      this.counters.tcpConnectionsRefused++;
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port, ipv6Only: isIPv6(address), exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // A failed accept() (EMFILE) is reported here: logged by the counters' reader, never fatal.
    server.on('error', () => undefined);
    this.servers.push(server);
    const bound = server.address();
    return { address, port: typeof bound === 'object' && bound ? bound.port : port };
  }

  /** Called with the id of every connection that closes, after it left the table. */
  onClosed(listener: (connectionId: string) => void): void {
    this.closedListeners.push(listener);
  }

  connection(id: string): TcpConnection | undefined {
    return this.byId.get(id);
  }

  get openConnections(): number {
    return this.byId.size;
  }

  /**
   * Writes to the connection `connectionId` when it is open; otherwise (unless `connectionOnly`) to an open
   * connection with address:port, or to a new one.
   */
  async send(
    bytes: Buffer,
    address: string,
    port: number,
    connectionId?: string,
    connectionOnly = false,
  ): Promise<void> {
    if (this.closed) throw new SipTransportError('closed', 'the transports are closed');
    if (connectionId !== undefined) {
      const connection = this.byId.get(connectionId);
      if (connection?.open && connection.write(bytes)) return;
      if (connectionOnly) throw new SipTransportError('no-connection', `connection ${connectionId} is closed`);
    }
    const key = remoteKey(address, port);
    let connection = this.byRemote.get(key);
    if (!connection?.open) connection = await this.connectTo(address, port);
    if (!connection.write(bytes))
      throw new SipTransportError('send-failed', `connection to ${key} closed while sending`);
  }

  async close(): Promise<void> {
    this.closed = true;
    const stopped = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const connection of [...this.byId.values()]) connection.destroy();
    await Promise.all(stopped);
  }

  private accept(socket: Socket): void {
    const remote = { address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
    if (this.closed || !remote.address) {
      socket.destroy();
      return;
    }
    const count = this.perSource.get(remote.address) ?? 0;
    if (count >= this.limits.tcpConnectionsPerSource && !this.exempt.has(remote.address)) {
      this.counters.tcpConnectionsRefused++;
      socket.destroy();
      return;
    }
    this.open(socket, remote, true);
  }

  private connectTo(address: string, port: number): Promise<TcpConnection> {
    const key = remoteKey(address, port);
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const attempt = new Promise<TcpConnection>((resolve, reject) => {
      const socket = connect({ host: address, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new SipTransportError(
            'connect-failed',
            `no TCP connection to ${key} within ${this.limits.tcpConnectTimeoutMs} ms`,
          ),
        );
      }, this.limits.tcpConnectTimeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new SipTransportError('connect-failed', `cannot connect to ${key}: ${error.message}`, { cause: error }));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(this.open(socket, { address, port }, false));
      });
    });
    this.connecting.set(key, attempt);
    const forget = () => this.connecting.delete(key);
    attempt.then(forget, forget);
    return attempt;
  }

  private register(connection: TcpConnection): void {
    this.byId.set(connection.id, connection);
    this.byRemote.set(remoteKey(connection.remote.address, connection.remote.port), connection);
    if (connection.accepted)
      this.perSource.set(connection.remote.address, (this.perSource.get(connection.remote.address) ?? 0) + 1);
    this.counters.tcpConnectionsOpened++;
    this.counters.tcpConnectionsOpen = this.byId.size;
  }

  private forget(connection: TcpConnection, events: ConnectionEvents): void {
    this.byId.delete(connection.id);
    const key = remoteKey(connection.remote.address, connection.remote.port);
    if (this.byRemote.get(key) === connection) this.byRemote.delete(key);
    if (connection.accepted) {
      const left = (this.perSource.get(connection.remote.address) ?? 1) - 1;
      if (left > 0) this.perSource.set(connection.remote.address, left);
      else this.perSource.delete(connection.remote.address);
    }
    this.counters.tcpConnectionsOpen = this.byId.size;
    events.closed(connection);
    for (const listener of this.closedListeners) listener(connection.id);
  }

  private open(socket: Socket, remote: Endpoint, accepted: boolean): TcpConnection {
    const local = { address: plainAddress(socket.localAddress), port: socket.localPort ?? 0 };
    const { tcpIdleTimeoutMs, tcpMaxQueuedBytes } = this.limits;
    const connection = new TcpConnection(
      socket,
      randomHex(8),
      remote,
      local,
      accepted,
      this.connectionEvents,
      this.parseLimits,
      tcpIdleTimeoutMs,
      tcpMaxQueuedBytes,
    );
    this.register(connection);
    return connection;
  }
}

function remoteKey(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/** An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d; limits and `received` want a.b.c.d. */
function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
