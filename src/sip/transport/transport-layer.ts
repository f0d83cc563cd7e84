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
import { StreamTransport } from './stream-transport.js';
import { clientTlsContext, TlsFileError } from './tls-context.js';
import {
  DEFAULT_TRANSPORT_LIMITS,
  SipTransportError,
  type Destination,
  type ListenSpec,
  type MessageHandler,
  type MessageSource,
  type TlsClientOptions,
  type TransportLimits,
} from './types.js';
import { UdpListener } from './udp-listener.js';

const SWEEP_EVERY_MS = 10_000;

export interface TransportLayerOptions {
  readonly listen: readonly ListenSpec[];
  readonly limits?: Partial<TransportLimits>;
  /** How to connect out over TLS; without it, servers are verified against the system's CAs. */
  readonly tlsClient?: TlsClientOptions | undefined;
  readonly log: Logger;
}

/**
 * The transports of the proxy (UDP, TCP, TLS, WS, WSS) behind one event-style API: `onMessage(handler)` receives every well-formed
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
  private readonly stream: StreamTransport;
  private readonly bound: ListenSpec[] = [];
  private readonly closedHandlers: ((connectionId: string) => void)[] = [];
  private readonly inbound: Inbound;
  private readonly sweeper: NodeJS.Timeout;

  private constructor(limits: TransportLimits, log: Logger, tlsClient: TlsClientOptions | undefined) {
    this.limits = limits;
    this.parseLimits = { maxMessageBytes: limits.maxMessageBytes, maxHeaders: limits.maxHeaders };
    this.log = log;
    this.limiter = new SourceRateLimiter(
      limits.messagesPerSecondPerSource,
      limits.burstPerSource,
      limits.exemptSources,
    );
    this.inbound = new Inbound(this.counters, this.limiter, this.parseLimits, log);
    const client = tlsClient ? clientTlsContext(tlsClient) : { context: undefined, verify: true };
    this.stream = new StreamTransport(limits, this.parseLimits, this.inbound.flowEvents(), this.counters, log, client);
    this.stream.onClosed((id) => this.closedHandlers.forEach((handler) => handler(id)));
    this.sweeper = setInterval(() => this.limiter.sweep(), SWEEP_EVERY_MS).unref();
  }

  /**
   * Binds every listen address (all or nothing: on a failure the ones bound are closed and the error thrown). TLS
   * certificates and keys are read now: a file that cannot be read or used fails the start, naming the file.
   */
  static async start(options: TransportLayerOptions): Promise<SipTransportLayer> {
    const layer = new SipTransportLayer(
      { ...DEFAULT_TRANSPORT_LIMITS, ...options.limits },
      options.log,
      options.tlsClient,
    );
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
    this.inbound.handler = (message, source) => {
      this.counters.countDelivered(source.transport);
      return handler(message, source);
    };
  }

  /** Called with the id of each flow (TCP, TLS, WS, WSS connection) that closes (a registrar forgets flows with it). */
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

  /** True while the flow (TCP, TLS, WS or WSS connection) with this id is open. */
  hasConnection(connectionId: string): boolean {
    return this.stream.flow(connectionId)?.open ?? false;
  }

  /** Closes the flow with this id (a device's old flow once it registered on a new one); false when not open. */
  closeConnection(connectionId: string, reason: string): boolean {
    return this.stream.closeConnection(connectionId, reason);
  }

  /**
   * Reads the certificate files of every TLS and WSS listener again (on SIGHUP: a renewed certificate without a
   * restart, connections kept). A listener whose files cannot be used keeps its previous certificate; each outcome is
   * logged. Returns how many listeners took new files and how many kept their previous ones.
   */
  reloadTls(): { reloaded: number; failed: number } {
    const outcome = { reloaded: 0, failed: 0 };
    for (const listener of this.stream.tlsListeners()) {
      const where = `${listener.spec.transport} ${listener.local.address}:${listener.local.port}`;
      try {
        const { files, validTo } = listener.reloadTls()!;
        outcome.reloaded++;
        this.log.info(
          { listen: listener.local, tls: { certFile: files.certFile, validTo } },
          `TLS certificate reloaded on ${where}: ${files.certFile}, valid until ${validTo}`,
        );
      } catch (error) {
        if (!(error instanceof TlsFileError)) throw error;
        outcome.failed++;
        this.log.error(
          { listen: listener.local, tls: { field: error.field, file: error.file } },
          `TLS certificate of ${where} not reloaded: ${error.field} ${error.file}: expected ${error.expected}; the previous one stays in use`,
        );
      }
    }
    return outcome;
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
        await this.stream.send(bytes, destination);
      }
      this.counters.sent++;
      this.counters.countSent(bytes);
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
    await Promise.all([...this.udp.map((listener) => listener.close()), this.stream.close()]);
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
      const local = await this.stream.listen(spec);
      const marks = {
        ...(spec.behindProxy ? { behindProxy: true } : {}),
        ...(spec.path !== undefined ? { path: spec.path } : {}),
      };
      this.bound.push({ transport: spec.transport, ...local, ...marks });
      this.log.info({ listen: { ...local, ...marks } }, `listening on ${spec.transport.toUpperCase()}`);
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
