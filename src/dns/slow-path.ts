import * as dnsPacket from 'dns-packet';
import { RCODE } from './wire.js';

/*
 * Queries of an unusual shape (a compressed question name, records in the answer or authority section, several
 * additional records such as a TSIG after the OPT): dns-packet decodes them, and the query is rewritten in the usual
 * shape (one question, at most one OPT, the original ID and flags) for the hot path to answer. Records we do not use
 * are ignored, as RFC 6891 asks of unknown options. Anything dns-packet cannot decode is a FORMERR.
 */

export type Normalized = { kind: 'normalized'; message: Buffer } | { kind: 'error'; rcode: number };

export function normalizeUnusualQuery(message: Buffer): Normalized {
  let decoded: dnsPacket.DecodedPacket;
  try {
    decoded = dnsPacket.decode(message);
  } catch {
    return { kind: 'error', rcode: RCODE.FORMERR };
  }
  const questions = decoded.questions ?? [];
  const options = (decoded.additionals ?? []).filter((record) => record.type === 'OPT');
  // RFC 6891 6.1.1: more than one OPT record is a FORMERR.
  if (questions.length !== 1 || options.length > 1) return { kind: 'error', rcode: RCODE.FORMERR };
  const opt = options[0] as dnsPacket.OptAnswer | undefined;
  let rewritten: Buffer;
  try {
    rewritten = dnsPacket.encode({
      type: 'query',
      id: 0,
      questions,
      additionals: opt
        ? [
            {
              name: '.',
              type: 'OPT',
              udpPayloadSize: opt.udpPayloadSize,
              extendedRcode: opt.extendedRcode,
              ednsVersion: opt.ednsVersion,
              flags: opt.flags,
            } as dnsPacket.OptAnswer,
          ]
        : [],
    });
  } catch {
    return { kind: 'error', rcode: RCODE.FORMERR };
  }
  // The original ID and flags word, so the response echoes them as for any other query.
  message.copy(rewritten, 0, 0, 4);
  return { kind: 'normalized', message: rewritten };
}
