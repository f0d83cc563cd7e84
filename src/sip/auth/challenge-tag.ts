import { createHmac, randomBytes } from 'node:crypto';
import type { SipRequest } from '../message/index.js';

/*
 * The To tag of the challenges this proxy answers statelessly, so that their ACK can be recognised without keeping
 * anything (Kamailio's sl module does the same with a tag prefix). A 407 to an INVITE ends that INVITE's transaction
 * at the client, which then ACKs it with the same Call-ID, From tag, CSeq number and Via branch (RFC 3261 17.1.1.3)
 * and our To tag. With no server transaction to absorb it, that ACK would otherwise be routed on like the ACK of a
 * 2xx: to the PBX. The tag is an HMAC of those fields under a key drawn at start: an ACK carrying it is ours.
 */

const TAG_HEX = 20;

export class ChallengeTags {
  private readonly key = randomBytes(32);

  /** The To tag for a challenge (or refusal) of `request`; undefined when its fields cannot be read. */
  tagFor(request: SipRequest): string | undefined {
    const fields = transactionFields(request);
    return fields === undefined ? undefined : this.hmac(fields);
  }

  /** True when `ack` acknowledges an answer this proxy gave with `tagFor`. */
  isAckOfOurs(ack: SipRequest): boolean {
    let tag: string | undefined;
    try {
      tag = ack.to().tag;
    } catch {
      return false;
    }
    if (tag === undefined || tag.length !== TAG_HEX) return false;
    return this.tagFor(ack) === tag;
  }

  private hmac(fields: string): string {
    return createHmac('sha256', this.key).update(fields).digest('hex').slice(0, TAG_HEX);
  }
}

/** What the request and the ACK of its non-2xx answer share: Call-ID, From tag, CSeq number, top Via branch. */
function transactionFields(request: SipRequest): string | undefined {
  try {
    return [request.callId(), request.from().tag ?? '', request.cseq().seq, request.topVia().branch ?? ''].join('\n');
  } catch {
    return undefined;
  }
}
