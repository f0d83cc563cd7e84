import type { SipRequest, SipResponse } from '../message/index.js';
import { detached } from './clock.js';

/*
 * How messages find their transaction.
 *
 * Server side (RFC 3261 17.2.3): a request with an RFC 3261 branch (magic cookie) belongs to the transaction with the
 * same branch, the same sent-by in the top Via and the same method, an ACK counting as its INVITE's (a CANCEL has
 * a transaction of its own). An RFC 2543 request (no cookie) is matched, where it is cheap, on what RFC 2543 used:
 * Request-URI, From tag, Call-ID, CSeq number, the whole top Via and the method. The To tag is left out, so that the
 * ACK of a non-2xx answer (which carries the tag our answer added) finds its INVITE.
 *
 * Client side (17.1.3): a response belongs to the transaction whose branch is in its top Via (one of ours, unique)
 * and whose method is the CSeq method.
 */

const SEPARATOR = '\u0000';

/** The key of the server transaction a request belongs to; for an ACK, the key of its INVITE's transaction. */
export function serverKey(request: SipRequest): string {
  const via = request.topVia();
  const method = request.method === 'ACK' ? 'INVITE' : request.method;
  if (via.hasRfc3261Branch) {
    const sentBy = `${via.host.toLowerCase()}:${via.port ?? ''}`;
    // Flat and detached: the branch is cut from the message head, which a key kept 32 s must not keep alive.
    return detached(`${via.branch!}${SEPARATOR}${sentBy}${SEPARATOR}${method}`);
  }
  return [
    '2543',
    request.uriText,
    request.from().tag ?? '',
    request.callId(),
    request.cseq().seq,
    via.raw,
    method,
  ].join(SEPARATOR);
}

/** The key of the INVITE server transaction a CANCEL cancels (RFC 3261 9.2: same match, method INVITE). */
export function cancelledInviteKey(cancel: SipRequest): string {
  const key = serverKey(cancel);
  return `${key.slice(0, key.length - cancel.method.length)}INVITE`;
}

/** The key of a client transaction: its branch and its method. */
export function clientKey(branch: string, method: string): string {
  return detached(`${branch}${SEPARATOR}${method}`);
}

/** The key of the client transaction a response belongs to; undefined without a branch. */
export function responseKey(response: SipResponse): string | undefined {
  const branch = response.topVia().branch;
  return branch === undefined ? undefined : clientKey(branch, response.cseq().method);
}
