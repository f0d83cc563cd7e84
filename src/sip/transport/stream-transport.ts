import { connect, isIPv6, type Socket } from 'node:net';
import { checkServerIdentity, connect as connectTls, type SecureContext } from 'node:tls';
import type { Logger } from '../../log.js';
import { randomHex, type ParseLimits } from '../message/index.js';
import type { TransportCounters } from './counters.js';
import type { Flow, FlowEvents, FlowInfo } from './flow.js';
import { SourceSlots } from './source-slots.js';
import { StreamListener, plainAddress, type Admitted } from './stream-listener.js';
import { TcpConnection } from './tcp-connection.js';
import {
  SipTransportError,
  type Destination,
  type Endpoint,
  type ListenSpec,
  type StreamTransportName,
  type TransportLimits,
} from './types.js';
import { WsConnection } from './ws-connection.js';

/** Outgoing TLS sessions remembered for resumption; the oldest is forgotten past this many peers. */
const MAX_REMEMBERED_SESSIONS = 1_000;

/**
 * The stream side: listeners of every stream transport, one table of open flows (by id, and by transport and remote
 * address for reuse), and TCP or TLS connections opened on demand. Every flow, whichever side opened it, reads SIP
 * through the same events, so responses from a PBX arrive like requests from a device.
 */
export class StreamTransport {
  private readonly listeners: StreamListener[] = [];
  private readonly byId = new Map<string, Flow>();
  private readonly byRemote = new Map<string, Flow>();
  private readonly connecting = new Map<string, Promise<Flow>>();
  private readonly sessions = new Map<string, Buffer>();
  private readonly slots: SourceSlots;
  private readonly flowEvents: FlowEvents;
  private readonly closedListeners: ((connectionId: string) => void)[] = [];
  private closed = false;

  constructor(
    private readonly limits: TransportLimits,
    private readonly parseLimits: ParseLimits,
    events: FlowEvents,
    private readonly counters: TransportCounters,
    private readonly log: Logger,
    /** How we connect out over TLS; undefined: no TLS client configured, the system's CAs are trusted. */
    private readonly tlsClient: { context: SecureContext | undefined; verify: boolean },
  ) {
    this.slots = new SourceSlots(limits.tcpConnectionsPerSource, limits.maxTcpConnections, limits.exemptSources);
    // The transport's events, with the table kept up to date when a flow closes.
    this.flowEvents = { ...events, closed: (flow) => this.forget(flow, events) };
  }

  /** Listens on one address; returns the address and the port taken. */
  async listen(spec: ListenSpec): Promise<Endpoint> {
    const listener = await StreamListener.listen(spec, {
      limits: this.limits,
      slots: this.slots,
      counters: this.counters,
      log: this.log,
      adopt: (socket, who, head) => this.adopt(socket, who, head),
    });
    this.listeners.push(listener);
    return listener.local;
  }

  /** The TLS and WSS listeners, to read their certificates again (StreamListener.reloadTls). */
  tlsListeners(): readonly StreamListener[] {
    return this.listeners.filter((listener) => listener.spec.tls !== undefined);
  }

  /** Called with the id of every flow that closes, after it left the table. */
  onClosed(listener: (connectionId: string) => void): void {
    this.closedListeners.push(listener);
  }

  flow(id: string): Flow | undefined {
    return this.byId.get(id);
  }

  get openFlows(): number {
    return this.byId.size;
  }

  /**
   * Writes to the flow `connectionId` when it is open; otherwise (unless `connectionOnly`, and never for WebSocket)
   * to an open flow of that transport with address:port, or to a new TCP or TLS connection.
   */
  async send(bytes: Buffer, destination: Destination): Promise<void> {
    if (this.closed) throw new SipTransportError('closed', 'the transports are closed');
    const { transport, address, port, connectionId } = destination;
    if (transport === 'udp') throw new SipTransportError('no-listener', 'UDP is not a stream transport');
    if (connectionId !== undefined) {
      const flow = this.byId.get(connectionId);
      if (flow?.open && flow.write(bytes)) return;
      if (destination.connectionOnly || transport === 'ws' || transport === 'wss') {
        throw new SipTransportError('no-connection', `connection ${connectionId} is closed`);
      }
    }
    const key = remoteKey(transport, address, port, transport === 'tls' ? identityOf(destination) : undefined);
    let flow = this.byRemote.get(key);
    if (!flow?.open) {
      if (transport === 'ws' || transport === 'wss') {
        throw new SipTransportError(
          'no-connection',
          `no ${transport} connection from ${key}: a browser cannot be called`,
        );
      }
      flow = await this.connectTo(transport, address, port, destination.serverName);
    }
    if (!flow.write(bytes)) throw new SipTransportError('send-failed', `connection to ${key} closed while sending`);
  }

  /**
   * Closes one flow (what was written is flushed first; the closed listeners are told as for any close). False when
   * no open flow has this id. `reason` goes into the debug log.
   */
  closeConnection(id: string, reason: string): boolean {
    const flow = this.byId.get(id);
    if (!flow?.open) return false;
    this.log.debug({ connection: { id, transport: flow.transport, remote: flow.remote }, reason }, 'closing a flow');
    flow.close();
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    const stopped = this.listeners.map((listener) => listener.close());
    for (const flow of [...this.byId.values()]) flow.destroy();
    await Promise.all(stopped);
  }

  private adopt(socket: Socket, who: Admitted, head?: Buffer): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const info: FlowInfo = {
      id: randomHex(8),
      transport: who.transport,
      remote: who.remote,
      local: { address: plainAddress(socket.localAddress), port: socket.localPort ?? 0 },
      accepted: true,
      ...(who.proxy ? { proxy: who.proxy } : {}),
    };
    this.open(socket, info, head);
  }

  private open(socket: Socket, info: FlowInfo, head?: Buffer): Flow {
    const { tcpIdleTimeoutMs, tcpMaxQueuedBytes } = this.limits;
    const flow =
      info.transport === 'ws' || info.transport === 'wss'
        ? new WsConnection(
            socket,
            info,
            head ?? Buffer.alloc(0),
            this.flowEvents,
            this.parseLimits,
            tcpIdleTimeoutMs,
            tcpMaxQueuedBytes,
          )
        : new TcpConnection(socket, info, this.flowEvents, this.parseLimits, tcpIdleTimeoutMs, tcpMaxQueuedBytes);
    this.byId.set(flow.id, flow);
    this.byRemote.set(flowKey(flow), flow);
    this.counters.tcpConnectionsOpened++;
    this.count(flow.transport, 1);
    return flow;
  }

  private forget(flow: Flow, events: FlowEvents): void {
    if (this.byId.get(flow.id) !== flow) return;
    this.byId.delete(flow.id);
    const key = flowKey(flow);
    if (this.byRemote.get(key) === flow) this.byRemote.delete(key);
    this.count(flow.transport, -1);
    events.closed(flow);
    for (const listener of this.closedListeners) listener(flow.id);
  }

  private count(transport: StreamTransportName, delta: number): void {
    this.counters.tcpConnectionsOpen = this.byId.size;
    if (transport === 'tls') this.counters.tlsConnectionsOpen += delta;
    else if (transport === 'ws' || transport === 'wss') this.counters.wsConnectionsOpen += delta;
    if (transport === 'wss') this.counters.wssConnectionsOpen += delta;
  }

  private connectTo(transport: 'tcp' | 'tls', address: string, port: number, serverName?: string): Promise<Flow> {
    const identity = transport === 'tls' ? (serverName ?? address) : undefined;
    const key = remoteKey(transport, address, port, identity);
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const attempt = new Promise<Flow>((resolve, reject) => {
      const socket =
        transport === 'tls'
          ? this.connectTlsSocket(address, port, serverName)
          : connect({ host: address, port, noDelay: true });
      const ready = transport === 'tls' ? 'secureConnect' : 'connect';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new SipTransportError(
            'connect-failed',
            `no ${transport} connection to ${key} within ${this.limits.tcpConnectTimeoutMs} ms`,
          ),
        );
      }, this.limits.tcpConnectTimeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new SipTransportError('connect-failed', `cannot connect to ${key}: ${error.message}`, { cause: error }));
      });
      socket.once(ready, () => {
        clearTimeout(timer);
        const info: FlowInfo = {
          id: randomHex(8),
          transport,
          remote: { address, port },
          local: { address: plainAddress(socket.localAddress), port: socket.localPort ?? 0 },
          accepted: false,
          ...(identity !== undefined ? { serverName: identity } : {}),
        };
        resolve(this.open(socket, info));
      });
    });
    this.connecting.set(key, attempt);
    const forget = () => this.connecting.delete(key);
    attempt.then(forget, forget);
    return attempt;
  }

  /**
   * A TLS connection out: SNI and the certificate check use `serverName` (the sips: URI's host) when it is a name,
   * else the address. The last session with the peer is offered again, so that a reconnection is a resumption.
   */
  private connectTlsSocket(address: string, port: number, serverName: string | undefined): Socket {
    const identity = serverName ?? address;
    const key = remoteKey('tls', address, port, identity);
    const isName = !/^[\d.]+$/.test(identity) && !identity.includes(':');
    const socket = connectTls({
      host: address,
      port,
      ...(isName ? { servername: identity } : {}),
      ...(this.tlsClient.context ? { secureContext: this.tlsClient.context } : {}),
      rejectUnauthorized: this.tlsClient.verify,
      checkServerIdentity: (_host, certificate) => checkServerIdentity(identity, certificate),
      minVersion: 'TLSv1.2',
      session: this.sessions.get(key),
    });
    socket.setNoDelay(true);
    socket.on('session', (session: Buffer) => {
      this.sessions.delete(key);
      this.sessions.set(key, session);
      if (this.sessions.size > MAX_REMEMBERED_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    });
    return socket;
  }
}

/**
 * The key under which a flow can be found again by where it leads. A TLS connection we opened is also keyed by the
 * name its certificate was checked against: a connection verified for one name is not reused for another.
 */
function remoteKey(transport: StreamTransportName, address: string, port: number, identity?: string): string {
  const base = isIPv6(address) ? `${transport}:[${address}]:${port}` : `${transport}:${address}:${port}`;
  return identity === undefined ? base : `${base} ${identity}`;
}

function flowKey(flow: Flow): string {
  return remoteKey(flow.transport, flow.remote.address, flow.remote.port, flow.serverName);
}

function identityOf(destination: Destination): string {
  return destination.serverName ?? destination.address;
}
