import { pino } from 'pino';
import { parseDatagram, SipRequest, SipResponse, type SipMessage } from '../../../../src/sip/message/index.js';
import type { Clock, TimerHandle, TransactionSender } from '../../../../src/sip/transaction/index.js';
import type { Destination, MessageSource } from '../../../../src/sip/transport/index.js';

/**
 * A clock that moves only when told: `advance(ms)` fires every timer due on the way, in order, including timers
 * set by timers. Transaction tests run minutes of SIP timers in microseconds with it.
 */
export class FakeClock implements Clock {
  private current = 0;
  private sequence = 0;
  private readonly pending: { at: number; seq: number; fire: () => void; cancelled: boolean }[] = [];

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fire: () => void): TimerHandle {
    const entry = { at: this.current + ms, seq: this.sequence++, fire, cancelled: false };
    this.pending.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** Moves time forward by `ms`, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.current = next.at;
      next.fire();
    }
    this.current = end;
  }

  /** Timers still waiting (not fired, not cancelled). */
  get waiting(): number {
    return this.pending.filter((entry) => !entry.cancelled).length;
  }

  private nextDue(end: number) {
    let best: (typeof this.pending)[number] | undefined;
    let index = -1;
    this.pending.forEach((entry, i) => {
      if (entry.cancelled || entry.at > end) return;
      if (!best || entry.at < best.at || (entry.at === best.at && entry.seq < best.seq)) {
        best = entry;
        index = i;
      }
    });
    if (best) this.pending.splice(index, 1);
    return best;
  }
}

export interface Sent {
  readonly at: number;
  readonly message: SipMessage;
  readonly destination: Destination;
}

/** Records what transactions send (read back with the parser) and fails sends on demand. */
export class RecordingSender implements TransactionSender {
  readonly sent: Sent[] = [];
  failWith: Error | undefined;

  constructor(private readonly clock: Clock) {}

  async send(message: SipMessage | Buffer, destination: Destination): Promise<void> {
    if (this.failWith) throw this.failWith;
    const bytes = Buffer.isBuffer(message) ? message : message.toBuffer();
    this.sent.push({ at: this.clock.now(), message: parseDatagram(bytes), destination });
  }

  /** Times (ms) at which messages with this start-line prefix were sent. */
  timesOf(prefix: string): number[] {
    return this.sent.filter((s) => s.message.startLine().startsWith(prefix)).map((s) => s.at);
  }

  requests(method: string): SipRequest[] {
    return this.sent
      .map((s) => s.message)
      .filter((m): m is SipRequest => m instanceof SipRequest && m.method === method);
  }

  responses(status?: number): SipResponse[] {
    return this.sent
      .map((s) => s.message)
      .filter((m): m is SipResponse => m instanceof SipResponse && (status === undefined || m.status === status));
  }
}

export const silentLog = pino({ level: 'silent' });

export const UDP_PEER: Destination = { transport: 'udp', address: '127.0.0.1', port: 5070 };
export const TCP_PEER: Destination = { transport: 'tcp', address: '127.0.0.1', port: 5070 };

export function udpSource(port = 5080): MessageSource {
  return { transport: 'udp', address: '127.0.0.1', port, local: { address: '127.0.0.1', port: 5060 } };
}

export function tcpSource(port = 5080): MessageSource {
  return {
    transport: 'tcp',
    address: '127.0.0.1',
    port,
    local: { address: '127.0.0.1', port: 5060 },
    connectionId: 'c0ffee',
  };
}

/** A request as text (CRLF added), read with the real parser. */
export function request(method: string, { branch = 'z9hG4bKtest1', cseq = 1, toTag = '', via = '' } = {}): SipRequest {
  const lines = [
    `${method} sip:bob@example.com SIP/2.0`,
    via || `Via: SIP/2.0/UDP 192.0.2.1:5080;branch=${branch}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    `To: <sip:bob@example.com>${toTag ? `;tag=${toTag}` : ''}`,
    'Call-ID: call-1@192.0.2.1',
    `CSeq: ${cseq} ${method}`,
    'Content-Length: 0',
    '',
    '',
  ];
  return parseDatagram(Buffer.from(lines.join('\r\n'))) as SipRequest;
}

/** A response to `to` with the given status, as a peer would send it (To tag added for > 100). */
export function responseTo(to: SipRequest, status: number, toTag = 'b1'): SipResponse {
  const head = [
    `SIP/2.0 ${status} Whatever`,
    ...to.headers.lines('via').map((via) => `Via: ${via}`),
    `From: ${to.headers.get('from')}`,
    `To: ${to.headers.get('to')}${status > 100 && !to.to().tag ? `;tag=${toTag}` : ''}`,
    `Call-ID: ${to.callId()}`,
    `CSeq: ${to.headers.get('cseq')}`,
    'Content-Length: 0',
    '',
    '',
  ];
  return parseDatagram(Buffer.from(head.join('\r\n'))) as SipResponse;
}

/** Lets pending promise callbacks (a rejected send) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
