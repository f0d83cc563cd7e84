import type { Logger } from '../../log.js';
import {
  SipParseError,
  SipRequest,
  createResponse,
  parseDatagram,
  type ParseLimits,
  type SipMessage,
  type SipResponse,
} from '../message/index.js';
import type { TransportCounters } from './counters.js';
import { applyReceived } from './received.js';
import type { SourceRateLimiter } from './source-limiter.js';
import type { Flow, FlowEvents } from './flow.js';
import type { MessageHandler, MessageSource } from './types.js';

/**
 * What happens to every datagram and stream message that arrives, whichever transport brought it: the source's rate
 * is checked, keep-alives are counted, a well-formed message gets received/rport and goes to the handler, a
 * malformed request is answered when it can be (else dropped). Nothing here throws to the socket code.
 */
export class Inbound {
  handler: MessageHandler = () => undefined;

  constructor(
    private readonly counters: TransportCounters,
    private readonly limiter: SourceRateLimiter,
    private readonly parseLimits: ParseLimits,
    private readonly log: Logger,
  ) {}

  /** A UDP datagram; `answer` sends a response back to where it came from. */
  datagram(bytes: Buffer, source: MessageSource, answer: (response: SipResponse) => Promise<void>): void {
    this.counters.received++;
    if (!this.limiter.take(source.address)) {
      this.counters.rateLimited++;
      return;
    }
    if (isKeepAlive(bytes)) {
      this.counters.keepAlives++;
      return;
    }
    let message: SipMessage;
    try {
      message = parseDatagram(bytes, this.parseLimits);
    } catch (error) {
      this.malformed(error, source, answer);
      return;
    }
    this.deliver(message, source);
  }

  /** The events of stream flows (the stream transport adds its own bookkeeping on close). */
  flowEvents(): FlowEvents {
    return {
      message: (connection, message) => {
        this.counters.received++;
        if (!this.limiter.take(connection.remote.address)) {
          this.counters.rateLimited++;
          return;
        }
        this.deliver(message, sourceOf(connection));
      },
      keepAlive: () => {
        this.counters.keepAlives++;
      },
      malformed: (connection, error) => {
        this.counters.received++;
        if (!this.limiter.take(connection.remote.address)) {
          this.counters.rateLimited++;
          return;
        }
        // Written on this very connection, even when it is closing after a framing error.
        this.malformed(error, sourceOf(connection), async (response) => {
          if (connection.write(response.toBuffer())) this.counters.sent++;
        });
      },
      protocolError: (connection, reason) => {
        this.counters.wsProtocolErrors++;
        this.log.debug(
          { sip: { peer: connection.remote, transport: connection.transport, problem: reason } },
          'WebSocket protocol error: connection closed',
        );
      },
      closed: () => undefined,
      bug: (connection, error) => {
        this.log.error(
          { err: error, sip: { peer: connection.remote, transport: connection.transport } },
          'reading a stream threw: a bug; connection closed',
        );
      },
    };
  }

  private deliver(message: SipMessage, source: MessageSource): void {
    try {
      if (message instanceof SipRequest) applyReceived(message, source);
      this.counters.delivered++;
      // An async handler is allowed: its rejection must not become an unhandled one, which would end the process.
      const result: unknown = this.handler(message, source);
      if (result instanceof Promise) result.catch((error: unknown) => this.handlerFailed(error, source));
    } catch (error) {
      this.handlerFailed(error, source);
    }
  }

  private handlerFailed(error: unknown, source: MessageSource): void {
    this.counters.handlerErrors++;
    this.log.error(
      { err: error, sip: { peer: { address: source.address, port: source.port } } },
      'the SIP message handler threw: a bug; the transports go on',
    );
  }

  /** Answers a malformed request when possible (with received/rport, so the answer finds its way), else drops it. */
  private malformed(error: unknown, source: MessageSource, answer: (response: SipResponse) => Promise<void>): void {
    if (!(error instanceof SipParseError)) {
      this.counters.droppedMalformed++;
      this.log.error({ err: error }, 'parsing a SIP message threw something other than a parse error: a bug');
      return;
    }
    const peer = { address: source.address, port: source.port, transport: source.transport };
    if (!error.request) {
      this.counters.droppedMalformed++;
      this.log.debug({ sip: { peer, problem: error.message } }, 'malformed SIP message dropped');
      return;
    }
    try {
      applyReceived(error.request, source);
      const response = createResponse(error.request, error.status, error.reason);
      this.counters.answeredMalformed++;
      this.log.debug({ sip: { peer, problem: error.message, status: error.status } }, 'malformed SIP request answered');
      answer(response).catch(() => undefined);
    } catch (failure) {
      this.counters.droppedMalformed++;
      this.log.error({ err: failure }, 'answering a malformed SIP request failed: a bug');
    }
  }
}

function sourceOf(flow: Flow): MessageSource {
  const source: MessageSource = {
    transport: flow.transport,
    address: flow.remote.address,
    port: flow.remote.port,
    local: flow.local,
    connectionId: flow.id,
  };
  return flow.proxy ? { ...source, proxy: flow.proxy } : source;
}

/** A datagram of CR, LF, spaces or NULs only: a NAT keep-alive (Linphone sends CRLFCRLF), not a message. */
function isKeepAlive(bytes: Buffer): boolean {
  if (bytes.length > 8) return false;
  for (const byte of bytes) if (byte !== 0x0d && byte !== 0x0a && byte !== 0x20 && byte !== 0x00) return false;
  return true;
}
