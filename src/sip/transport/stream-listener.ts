import type { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../../log.js';
import type { TransportCounters } from './counters.js';
import { readPreamble, type Preamble } from './preamble.js';
import type { SourceSlots } from './source-slots.js';
import { reloadedServerContext, serverTlsOptions } from './tls-context.js';
import type { Endpoint, ListenSpec, ProxiedBy, StreamTransportName, TlsFiles, TransportLimits } from './types.js';
import { checkUpgrade, refuse } from './ws-handshake.js';

/** Who a new connection is, once its PROXY header (if any) was read. */
export interface Admitted {
  readonly transport: StreamTransportName;
  readonly remote: Endpoint;
  readonly proxy?: ProxiedBy | undefined;
}

/** Hands a connection ready for SIP to the transports; `head` is what a WebSocket upgrade read past its request. */
export type AdoptFlow = (socket: Socket, who: Admitted, head?: Buffer) => void;

export interface ListenerContext {
  readonly limits: TransportLimits;
  readonly slots: SourceSlots;
  readonly counters: TransportCounters;
  readonly log: Logger;
  readonly adopt: AdoptFlow;
}

/** How long a refused WebSocket upgrade may take to read its answer before its connection is destroyed. */
const REFUSAL_LINGER_MS = 1_000;

/**
 * One stream listening address: TCP, TLS, WS or WSS. Every connection is accepted by a plain TCP server, admitted
 * against the connection limits, then its first bytes are read (the PROXY header behind HAProxy, or a check that there
 * is none elsewhere) before it is handed to TLS or HTTP, which are servers that never listen themselves. The address
 * from the PROXY header is the connection's remote address from then on, the one the per-source limits count.
 * Everything before the flow is ready (header, TLS handshake, upgrade) has `handshakeTimeoutMs` in all.
 */
export class StreamListener {
  private readonly pending = new Map<string, { who: Admitted; ready: () => void }>();
  private readonly sockets = new Set<Socket>();
  private readonly tls: TlsServer | undefined;
  /** An HTTP server (HTTPS for wss) that never listens: it reads upgrade requests from the connections given to it. */
  private readonly http: EventEmitter | undefined;
  private closed = false;

  private constructor(
    readonly spec: ListenSpec & { transport: StreamTransportName },
    private readonly server: Server,
    private readonly context: ListenerContext,
  ) {
    const { transport } = spec;
    const options = () => {
      if (!spec.tls) throw new Error(`a ${transport} listener needs tls.certFile and tls.keyFile`);
      return serverTlsOptions(spec.tls, context.limits.handshakeTimeoutMs);
    };
    if (transport === 'tls') this.tls = createTlsServer(options());
    if (transport === 'wss') this.tls = this.http = createHttpsServer({ ...options(), maxHeaderSize: 8192 });
    if (transport === 'ws') this.http = createHttpServer({ maxHeaderSize: 8192 });
    this.tls?.on('secureConnection', (socket: TLSSocket) => this.secured(socket));
    this.tls?.on('tlsClientError', (error: Error, socket: TLSSocket) => this.handshakeFailed(error, socket));
    this.http?.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) =>
      this.upgrade(request, socket, head),
    );
    this.http?.on('request', (request: IncomingMessage, response: ServerResponse) =>
      this.plainRequest(request, response),
    );
    this.http?.on('clientError', (_error: Error, socket: Socket) =>
      this.refuseUpgrade(socket, undefined, refuse(400, 'Bad Request', 'not an HTTP request')),
    );
  }

  /** Listens on the spec's address; resolves once bound (throws the bind error). */
  static async listen(spec: ListenSpec, context: ListenerContext): Promise<StreamListener> {
    if (spec.transport === 'udp') throw new Error('a stream listener for udp');
    const server = createServer({ noDelay: true });
    const listener = new StreamListener({ ...spec, transport: spec.transport }, server, context);
    server.maxConnections = context.limits.maxTcpConnections;
    server.on('connection', (socket: Socket) => listener.accept(socket));
    server.on('drop', () => {
      context.counters.tcpConnectionsRefused++;
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: spec.address, port: spec.port, ipv6Only: isIPv6(spec.address), exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // A failed accept() (EMFILE) is reported here: never fatal.
    server.on('error', (error) => context.log.warn({ err: error }, `accepting on ${spec.address} failed`));
    return listener;
  }

  get local(): Endpoint {
    const bound = this.server.address();
    return { address: this.spec.address, port: typeof bound === 'object' && bound ? bound.port : this.spec.port };
  }

  /** Stops listening and drops the connections not yet handed over (the flows are closed by their owner). */
  close(): Promise<void> {
    this.closed = true;
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(raw: Socket): void {
    const peer = { address: plainAddress(raw.remoteAddress), port: raw.remotePort ?? 0 };
    const { counters, limits, slots } = this.context;
    // Behind HAProxy the peer is HAProxy: counted in the total only until the header names the client.
    let release = this.closed || !peer.address ? undefined : slots.take(peer.address, !this.spec.behindProxy);
    if (!release) {
      counters.tcpConnectionsRefused++;
      raw.destroy();
      return;
    }
    const plainTcp = this.spec.transport === 'tcp';
    // A plain TCP client may stay silent before its first request: its first bytes may take the idle timeout.
    const preambleTimeout = plainTcp && !this.spec.behindProxy ? limits.tcpIdleTimeoutMs : limits.handshakeTimeoutMs;
    const deadline = plainTcp
      ? undefined
      : setTimeout(() => {
          counters.handshakeTimeouts++;
          raw.destroy();
        }, limits.handshakeTimeoutMs);
    this.sockets.add(raw);
    raw.on('error', () => undefined);
    raw.once('close', () => {
      if (deadline) clearTimeout(deadline);
      this.sockets.delete(raw);
      this.pending.delete(key(peer));
      release?.();
    });
    const ready = () => {
      if (deadline) clearTimeout(deadline);
      this.sockets.delete(raw);
    };
    readPreamble(raw, this.spec.behindProxy === true, plainTcp ? preambleTimeout : 0, (preamble) => {
      const who = this.admit(preamble, peer);
      if (!who || this.closed) {
        if (deadline) clearTimeout(deadline);
        raw.destroy();
        return;
      }
      if (who.remote !== peer) {
        const client = slots.take(who.remote.address);
        if (!client) {
          counters.tcpConnectionsRefused++;
          raw.destroy();
          return;
        }
        release?.();
        release = client;
      }
      if (plainTcp) {
        ready();
        this.context.adopt(raw, who);
        return;
      }
      this.pending.set(key(peer), { who, ready });
      // TLS and HTTP servers that do not listen: they take the connection from here. TLS takes the bytes put back
      // from the socket's buffer itself; HTTP reads them as 'data', which a paused socket would never emit.
      (this.tls ?? this.http)!.emit('connection', raw);
      if (!this.tls) raw.resume();
    });
  }

  /** Counts what the preamble said; the connection's identity, or undefined when it must be closed. */
  private admit(preamble: Preamble, peer: Endpoint): Admitted | undefined {
    const { counters, log } = this.context;
    const transport = this.spec.transport;
    if (!preamble.ok) {
      if (preamble.why === 'refused') counters.proxyHeadersRefused++;
      else if (preamble.why === 'missing') counters.proxyHeadersMissing++;
      else if (preamble.why === 'timeout') counters.handshakeTimeouts++;
      if (preamble.why !== 'closed') {
        log.info({ sip: { peer, transport, problem: preamble.detail } }, `connection closed: ${preamble.detail}`);
      }
      return undefined;
    }
    if (!this.spec.behindProxy) return { transport, remote: peer };
    counters.proxyHeadersAccepted++;
    if (!preamble.source) return { transport, remote: peer };
    const proxy = preamble.destination ? { peer, destination: preamble.destination } : { peer };
    return { transport, remote: preamble.source, proxy };
  }

  /**
   * Reads this listener's certificate files again and uses them for the next handshakes; returns the files and when
   * the certificate expires, or undefined for a listener without TLS. Throws TlsFileError (the previous certificate
   * then stays in use).
   */
  reloadTls(): { files: TlsFiles; validTo: string } | undefined {
    if (!this.tls || !this.spec.tls) return undefined;
    const { options, validTo } = reloadedServerContext(this.spec.tls);
    this.tls.setSecureContext(options);
    return { files: this.spec.tls, validTo };
  }

  private secured(socket: TLSSocket): void {
    if (this.spec.transport !== 'tls') return;
    const admitted = this.take(socket);
    if (!admitted) return;
    if (socket.isSessionReused()) this.context.counters.tlsSessionsResumed++;
    this.context.adopt(socket, admitted);
  }

  private handshakeFailed(error: Error, socket: TLSSocket): void {
    this.context.counters.tlsHandshakesFailed++;
    const who = this.pending.get(key({ address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 }));
    const peer = who?.who.remote ?? { address: socket.remoteAddress, port: socket.remotePort };
    const problem = (error as NodeJS.ErrnoException).code ?? error.message;
    // Debug: scanners fail handshakes all day on a public port; the counter tells how many.
    this.context.log.debug(
      { sip: { peer, transport: this.spec.transport, problem } },
      `TLS handshake failed: ${problem}`,
    );
    socket.destroy();
  }

  private upgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    const verdict = checkUpgrade(request, this.spec.path);
    if (!verdict.ok) {
      this.refuseUpgrade(socket, request, verdict);
      return;
    }
    const admitted = this.take(socket);
    if (!admitted) return;
    socket.write(verdict.response);
    if (this.spec.transport === 'wss' && (socket as TLSSocket).isSessionReused()) {
      this.context.counters.tlsSessionsResumed++;
    }
    this.context.adopt(socket, admitted, head);
  }

  /** A request without Upgrade: 426, with what to ask for. */
  private plainRequest(request: IncomingMessage, response: ServerResponse): void {
    this.refused(request.socket, request.url, 426, 'Upgrade Required');
    const body = 'this port speaks SIP over WebSocket only (RFC 7118)\n';
    response.shouldKeepAlive = false;
    response.writeHead(426, {
      Upgrade: 'websocket',
      'Sec-WebSocket-Protocol': 'sip',
      'Sec-WebSocket-Version': '13',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(body);
    setTimeout(() => request.socket.destroy(), REFUSAL_LINGER_MS).unref();
  }

  /** Answers an upgrade we refuse (or bytes that are not HTTP at all), then closes the connection. */
  private refuseUpgrade(
    socket: Socket,
    request: IncomingMessage | undefined,
    verdict: ReturnType<typeof refuse>,
  ): void {
    if (!verdict.ok) this.refused(socket, request?.url, verdict.status, verdict.reason);
    if (socket.writable) socket.end(verdict.response);
    setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
  }

  private refused(socket: Socket, url: string | undefined, status: number, reason: string): void {
    this.context.counters.wsUpgradesRefused++;
    const entry = this.pending.get(key({ address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 }));
    this.context.log.debug(
      { sip: { peer: entry?.who.remote, transport: this.spec.transport, url, status } },
      `WebSocket upgrade refused: ${status} ${reason}`,
    );
  }

  /** The admitted identity of a connection TLS or HTTP hands back, by its TCP peer address and port. */
  private take(socket: Socket): Admitted | undefined {
    const id = key({ address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 });
    const entry = this.pending.get(id);
    if (!entry || this.closed) {
      socket.destroy();
      return undefined;
    }
    this.pending.delete(id);
    entry.ready();
    return entry.who;
  }
}

function key(endpoint: { address: string | undefined; port: number | undefined }): string {
  return `${endpoint.address}|${endpoint.port}`;
}

/** An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d; limits and `received` want a.b.c.d. */
export function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
