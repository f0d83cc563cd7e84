import { isIPv6 } from 'node:net';
import type { Logger } from '../../log.js';
import {
  createResponse,
  type ParseLimits,
  type ResponseOptions,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../message/index.js';
import { TransportCounters } from './counters.js';
import { Inbound } from './inbound.js';
import { responseDestination } from './received.js';
import { SourceRateLimiter } from './source-limiter.js';
import { TcpTransport } from './tcp-transport.js';
import {
  DEFAULT_TRANSPORT_LIMITS,
  SipTransportError,
  type Destination,
  type ListenSpec,
  type MessageHandler,
  type MessageSource,
  type TransportLimits,
} from './types.js';
import { UdpListener } from './udp-listener.js';

const SWEEP_EVERY_MS = 10_000;

export interface TransportLayerOptions {
  readonly listen: readonly ListenSpec[];
  readonly limits?: Partial<TransportLimits>;
  readonly log: Logger;
}

/**
 * The UDP and TCP transports of the proxy behind one event-style API: `onMessage(handler)` receives every well-formed
 * message with its source (requests with received/rport already on their top Via), `send` and `sendResponse` send.
 *
 * Bad input never reaches the handler and never stops the transports: a malformed request whose Via, From, To,
 * Call-ID and CSeq could be read is answered (`400 <reason>`, 505, 513), anything else is dropped; both are counted.
 * Sources over their message rate are dropped before parsing. A handler that throws is logged as a bug.
 */
export class SipTransportLayer {
  readonly counters = new TransportCounters();
  readonly limits: TransportLimits;
  private readonly parseLimits: ParseLimits;
  private readonly log: Logger;
  private readonly limiter: SourceRateLimiter;
  private readonly udp: UdpListener[] = [];
  private readonly tcp: TcpTransport;
  private readonly bound: ListenSpec[] = [];
  private readonly closedHandlers: ((connectionId: string) => void)[] = [];
  private readonly inbound: Inbound;
  private readonly sweeper: NodeJS.Timeout;

  private constructor(limits: TransportLimits, log: Logger) {
    this.limits = limits;
    this.parseLimits = { maxMessageBytes: limits.maxMessageBytes, maxHeaders: limits.maxHeaders };
    this.log = log;
    this.limiter = new SourceRateLimiter(
      limits.messagesPerSecondPerSource,
      limits.burstPerSource,
      limits.exemptSources,
    );
    this.inbound = new Inbound(this.counters, this.limiter, this.parseLimits, log);
    this.tcp = new TcpTransport(limits, this.parseLimits, this.inbound.connectionEvents(), this.counters);
    this.tcp.onClosed((id) => this.closedHandlers.forEach((handler) => handler(id)));
    this.sweeper = setInterval(() => this.limiter.sweep(), SWEEP_EVERY_MS).unref();
  }

  /** Binds every listen address (all or nothing: on a failure the ones bound are closed and the error thrown). */
  static async start(options: TransportLayerOptions): Promise<SipTransportLayer> {
    const layer = new SipTransportLayer({ ...DEFAULT_TRANSPORT_LIMITS, ...options.limits }, options.log);
    try {
      for (const spec of options.listen) await layer.bind(spec);
    } catch (error) {
      await layer.close();
      throw error;
    }
    return layer;
  }

  /** Sets the handler of incoming messages (one handler: the proxy core). */
  onMessage(handler: MessageHandler): void {
    this.inbound.handler = handler;
  }

  /** Called with the id of each TCP connection that closes (a registrar forgets flows with it). */
  onConnectionClosed(handler: (connectionId: string) => void): void {
    this.closedHandlers.push(handler);
  }

  /** The addresses listened on, with the ports actually taken. */
  listeners(): readonly ListenSpec[] {
    return this.bound;
  }

  /** The receive buffer each UDP socket got from the kernel, in listen order. */
  udpReceiveBufferBytes(): number[] {
    return this.udp.map((listener) => listener.receiveBufferBytes);
  }

  /** True while the TCP connection with this id is open. */
  hasConnection(connectionId: string): boolean {
    return this.tcp.connection(connectionId)?.open ?? false;
  }

  /** Sends a message or bytes; rejects with SipTransportError when it cannot. */
  async send(message: SipMessage | Buffer, destination: Destination): Promise<void> {
    const bytes = Buffer.isBuffer(message) ? message : message.toBuffer();
    try {
      if (bytes.length > this.limits.maxMessageBytes) {
        throw new SipTransportError(
          'too-large',
          `${bytes.length} bytes is over the ${this.limits.maxMessageBytes} limit`,
        );
      }
      if (destination.transport === 'udp') {
        const listener = this.udpFor(destination);
        await listener.send(bytes, destination.address, destination.port).catch((error: Error) => {
          throw new SipTransportError(
            'send-failed',
            `UDP send to ${destination.address}:${destination.port} failed: ${error.message}`,
            { cause: error },
          );
        });
      } else {
        await this.tcp.send(
          bytes,
          destination.address,
          destination.port,
          destination.connectionId,
          destination.connectionOnly,
        );
      }
      this.counters.sent++;
    } catch (error) {
      this.counters.sendFailures++;
      throw error;
    }
  }

  /** Sends a response where RFC 3261 18.2.2 and RFC 3581 say, given the source of its request. */
  sendResponse(response: SipResponse, requestSource: MessageSource): Promise<void> {
    return this.send(response, responseDestination(response.topVia(), requestSource));
  }

  /** Builds a response to `request` (see createResponse) and sends it. */
  reply(
    request: SipRequest,
    source: MessageSource,
    status: number,
    reason?: string,
    options?: ResponseOptions,
  ): Promise<void> {
    return this.sendResponse(createResponse(request, status, reason, options), source);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.udp.map((listener) => listener.close()), this.tcp.close()]);
  }

  private async bind(spec: ListenSpec): Promise<void> {
    if (spec.transport === 'udp') {
      const listener = await UdpListener.bind(
        spec.address,
        spec.port,
        this.limits.udpReceiveBufferBytes,
        (bytes, remote, from) => {
          const source: MessageSource = { transport: 'udp', ...remote, local: from.local };
          this.inbound.datagram(bytes, source, (response: SipResponse) => this.sendResponse(response, source));
        },
        (error) => this.log.warn({ err: error }, `UDP socket error on ${spec.address}: ${error.message}`),
      );
      this.udp.push(listener);
      this.bound.push({ transport: 'udp', ...listener.local });
      this.log.info({ listen: listener.local, receiveBufferBytes: listener.receiveBufferBytes }, 'listening on UDP');
    } else {
      const local = await this.tcp.listen(spec.address, spec.port);
      this.bound.push({ transport: 'tcp', ...local });
      this.log.info({ listen: local }, 'listening on TCP');
    }
  }

  private udpFor(destination: Destination): UdpListener {
    const local = destination.local;
    if (local) {
      const exact = this.udp.find((l) => l.local.address === local.address && l.local.port === local.port);
      if (exact) return exact;
    }
    const family = isIPv6(destination.address) ? 6 : 4;
    const listener = this.udp.find((l) => l.family === family);
    if (!listener)
      throw new SipTransportError('no-listener', `no UDP listener for IPv${family} ${destination.address}`);
    return listener;
  }
}
