import { hash } from 'node:crypto';
import type { SipRequest } from '../message/index.js';
import { newBranch, parseVia } from '../message/index.js';
import type { LocalIdentity } from './local-identity.js';

/*
 * Loop detection (RFC 3261 16.3 step 4 with 16.6 step 8). Every branch we create carries, after the magic cookie and
 * our mark "s", a hash of what identifies the request as it leaves our routing logic: the Request-URI (after Route
 * pre-processing), the From and To tags, the Call-ID, the CSeq number, the Route headers left (after
 * pre-processing), Proxy-Require and Proxy-Authorization. When a request comes back to us with a Via of ours (our
 * sent-by) whose branch carries the hash this request computes to now, it is the same request again: a loop (482).
 * A spiral (retargeted on the way, or routed through us again on purpose) computes to another hash and goes on.
 *
 * The choice: the RFC lists "the topmost Via of the received request" among the hashed values too. It is left out
 * here: a request that loops back arrives with the previous hop's Via on top, never the one it had the first time,
 * so with it in the hash no loop could ever match. Max-Forwards is left out as well, as it changes at every hop.
 */

const MARK = 'z9hG4bKs';
const HASH_CHARS = 16;

/** The loop-detection hash of a request (after Route pre-processing). */
export function loopHash(request: SipRequest): string {
  const parts = [
    request.uriText,
    request.from().tag ?? '',
    request.to().tag ?? '',
    request.callId(),
    String(request.cseq().seq),
    request.headers.lines('route').join(','),
    request.headers.lines('proxy-require').join(','),
    request.headers.lines('proxy-authorization').join(','),
  ];
  return hash('sha1', parts.join('\n'), 'hex').slice(0, HASH_CHARS);
}

/** A new branch carrying the loop hash (unique: 64 random bits follow it). */
export function loopBranch(loop: string): string {
  return `${MARK}${loop}${newBranch().slice(7)}`;
}

/** True when one of the request's Vias is ours and carries this request's loop hash: it has been here before. */
export function hasLooped(request: SipRequest, loop: string, identity: LocalIdentity): boolean {
  const needle = `${MARK}${loop}`;
  for (const line of request.headers.lines('via')) {
    if (!line.includes(needle)) continue;
    // Rare path: the text matches; check that the Via holding it names us.
    for (const element of line.split(',')) {
      if (!element.includes(needle)) continue;
      try {
        const via = parseVia(element.trim());
        if (via.branch?.startsWith(needle) && identity.isOwnVia(via)) return true;
      } catch {
        // A Via we cannot read is not ours.
      }
    }
  }
  return false;
}

/** A branch for an ACK forwarded statelessly: the same for each retransmission of that ACK (RFC 3261 16.11). */
export function statelessBranch(incomingBranch: string | undefined, request: SipRequest): string {
  const basis = incomingBranch ?? `${request.callId()} ${request.cseq().seq} ${request.from().tag ?? ''}`;
  return `z9hG4bKa${hash('sha1', basis, 'hex').slice(0, 24)}`;
}
