import { CompiledZone, SERVFAIL_ANSWER } from './compiled-zone.js';
import { buildResponse, errorResponse, type Transport } from './respond.js';
import { normalizeUnusualQuery } from './slow-path.js';
import { RCODE, parseQuery } from './wire.js';

/** What the server has answered since it started (reported in its state for `clusterctl dns`). */
export interface QueryCounters {
  udp: number;
  tcp: number;
  noerror: number;
  nxdomain: number;
  refused: number;
  formerr: number;
  servfail: number;
  notimp: number;
  badvers: number;
  truncated: number;
  /** Messages not answered: too short to be DNS, or responses. */
  dropped: number;
  /** Unusual queries handed to dns-packet. */
  slowPath: number;
}

const RCODE_COUNTER: Partial<Record<number, keyof QueryCounters>> = {
  [RCODE.NOERROR]: 'noerror',
  [RCODE.NXDOMAIN]: 'nxdomain',
  [RCODE.REFUSED]: 'refused',
  [RCODE.FORMERR]: 'formerr',
  [RCODE.SERVFAIL]: 'servfail',
  [RCODE.NOTIMP]: 'notimp',
  [RCODE.BADVERS]: 'badvers',
};

export function emptyCounters(): QueryCounters {
  return {
    udp: 0,
    tcp: 0,
    noerror: 0,
    nxdomain: 0,
    refused: 0,
    formerr: 0,
    servfail: 0,
    notimp: 0,
    badvers: 0,
    truncated: 0,
    dropped: 0,
    slowPath: 0,
  };
}

/**
 * Answers DNS messages from the zone in force, whatever the transport. Never throws for any input: a message it
 * cannot read is answered FORMERR when it has a header, or dropped. The zone is swapped whole (one reference), so a
 * message is answered from one record set only.
 */
export class Responder {
  readonly counters = emptyCounters();
  private current: CompiledZone | undefined;

  get zone(): CompiledZone | undefined {
    return this.current;
  }

  load(zone: CompiledZone): void {
    this.current = zone;
  }

  /** The response to one message, or undefined when it must not be answered. */
  answer(message: Buffer, transport: Transport): Buffer | undefined {
    this.counters[transport] += 1;
    let source = message;
    let outcome = parseQuery(message);
    if (outcome.kind === 'unusual') {
      this.counters.slowPath += 1;
      const normalized = normalizeUnusualQuery(message);
      if (normalized.kind === 'error') return this.error(message, normalized.rcode);
      source = normalized.message;
      outcome = parseQuery(source);
      if (outcome.kind !== 'query') return this.error(message, RCODE.FORMERR); // never a second round
    }
    if (outcome.kind === 'drop') {
      this.counters.dropped += 1;
      return undefined;
    }
    if (outcome.kind === 'error') return this.error(message, outcome.rcode);
    const answer = this.current ? this.current.lookup(outcome.nameKey, outcome.qtype, outcome.qclass) : SERVFAIL_ANSWER;
    const built = buildResponse(source, outcome, answer, transport);
    this.count(built.rcode);
    if (built.truncated) this.counters.truncated += 1;
    return built.response;
  }

  private error(message: Buffer, rcode: number): Buffer {
    this.count(rcode);
    return errorResponse(message, rcode);
  }

  private count(rcode: number): void {
    const counter = RCODE_COUNTER[rcode];
    if (counter) this.counters[counter] += 1;
  }
}
