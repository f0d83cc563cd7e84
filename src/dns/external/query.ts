import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import { ClusterError } from '../../errors.js';
import type { UpdateFailure } from './answer-code.js';
import { canonicalIPv6, normalName, type AddressSet, type AddressType, type NameRecords } from './records.js';

export interface QueryTarget {
  server: string;
  port: number;
  timeoutMs: number;
  /** Aborts the query (the updater closing). */
  signal?: AbortSignal;
}

/** Reading the current records failed; `failure` says how, in the same terms as an update failure. */
export class QueryFailedError extends ClusterError {
  constructor(readonly failure: UpdateFailure) {
    super('STG_ERR_DNS_QUERY', failure.reason);
  }
}

/** dns-packet decodes the answer code into the low four bits of `flags`. */
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET'];
const QUERY_HINTS: Record<string, string> = {
  REFUSED: ': it does not answer us for this zone (not authoritative for it, or allow-query)',
  SERVFAIL: ': the zone may have failed to load',
};

/**
 * Reads the A and AAAA RRsets of `name` from the authoritative server, over TCP: no truncation to handle, and a
 * refused connection shows at once. Both questions go on one connection (RFC 7766 pipelining), matched by id.
 * Only an authoritative answer (AA) counts: a resolver's cached copy says nothing about the zone.
 */
export async function readNameRecords(target: QueryTarget, name: string): Promise<NameRecords> {
  const wanted = normalName(name);
  const id = randomInt(1, 65_536); // 0 is left out: some servers treat it as unset
  const [a, aaaa] = await exchange(target, wanted, [
    { id, type: 'A' },
    { id: (id % 65_535) + 1, type: 'AAAA' },
  ]).then((answers) => answers.map((answer) => addressesIn(answer, wanted, target)));
  return { name: wanted, a, aaaa };
}

interface Question {
  id: number;
  type: AddressType;
}

interface Answer {
  question: Question;
  packet: dnsPacket.DecodedPacket;
}

function addressesIn({ question, packet }: Answer, name: string, target: QueryTarget): AddressSet | undefined {
  const rcodeNumber = (packet.flags ?? 0) & 0xf;
  const rcode = RCODE_NAMES[rcodeNumber] ?? `RCODE_${rcodeNumber}`;
  const asked = `${name} ${question.type}`;
  if (rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') {
    const hint = QUERY_HINTS[rcode] ?? '';
    throw new QueryFailedError({ kind: 'query', rcode, reason: `the server answered ${rcode} to ${asked}${hint}` });
  }
  if (!packet.flag_aa) {
    throw new QueryFailedError({
      kind: 'query',
      reason: `the answer to ${asked} from ${target.server}:${target.port} is not authoritative (no AA flag): is the server primary for the zone?`,
    });
  }
  const records = (packet.answers ?? []).flatMap((answer) =>
    answer.type === question.type && normalName(answer.name) === name && typeof answer.data === 'string'
      ? [{ address: answer.data, ttlS: answer.ttl ?? 0 }]
      : [],
  );
  if (records.length === 0) return undefined;
  const addresses = records.map(({ address }) => (question.type === 'AAAA' ? canonicalIPv6(address) : address));
  // An RRset has one TTL (RFC 2181 §5.2); should a server still differ, the shortest is the one that counts.
  const ttlS = Math.min(...records.map((record) => record.ttlS));
  return { ttlS, addresses: [...new Set(addresses)].sort() };
}

/** Sends the questions on one TCP connection and waits for every answer, bounded by the timeout. */
function exchange(target: QueryTarget, name: string, questions: Question[]): Promise<Answer[]> {
  const peer = `${target.server}:${target.port}`;
  return new Promise((resolve, reject) => {
    const answers = new Map<number, dnsPacket.DecodedPacket>();
    let received = Buffer.alloc(0);
    let settled = false;
    const socket = connect({ host: target.server, port: target.port });
    const finish = (error?: UpdateFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      target.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(new QueryFailedError(error));
      else resolve(questions.map((question) => ({ question, packet: answers.get(question.id)! })));
    };
    const timer = setTimeout(
      () => finish({ kind: 'timeout', reason: `no answer from ${peer} within ${target.timeoutMs} ms (query)` }),
      target.timeoutMs,
    );
    const onAbort = () => finish({ kind: 'query', reason: 'query aborted: the updater is closing' });
    if (target.signal?.aborted) return onAbort();
    target.signal?.addEventListener('abort', onAbort, { once: true });

    socket.on('connect', () => {
      for (const { id, type } of questions) {
        socket.write(dnsPacket.streamEncode({ type: 'query', id, flags: 0, questions: [{ type, name }] }));
      }
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        const length = received.readUInt16BE(0);
        const message = received.subarray(2, 2 + length);
        received = received.subarray(2 + length);
        let packet: dnsPacket.DecodedPacket;
        try {
          packet = dnsPacket.decode(message);
        } catch (error) {
          return finish({ kind: 'query', reason: `malformed answer from ${peer}: ${(error as Error).message}` });
        }
        if (packet.id !== undefined && questions.some((question) => question.id === packet.id)) {
          answers.set(packet.id, packet);
        }
      }
      if (answers.size === questions.length) finish();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const what = error.code === 'ECONNREFUSED' ? 'connection refused' : (error.code ?? error.message);
      finish({ kind: 'unreachable', reason: `cannot reach ${peer}: ${what} (query)` });
    });
    socket.on('close', () =>
      finish({ kind: 'query', reason: `${peer} closed the connection before answering (query)` }),
    );
  });
}
