import { ClusterError } from '../../errors.js';
import type { SipRequest } from './message.js';

/**
 * A SIP message that breaks the grammar or a rule of RFC 3261. `reason` is short, fixed text fit for a status line
 * (`400 Bad Via header`); `detail` says more for the log. `status` is the answer the RFC asks for: 400 for
 * malformed input, 505 for another SIP version, 513 for a message over the size limit.
 *
 * `request` is set when an answer is possible: the message is a request whose Via, From, To, Call-ID and CSeq
 * could be read, so a response can reach its sender and match its transaction. Without it, the message is dropped.
 * A class of its own so that callers can tell bad input (answer or drop, keep serving) from a bug (log the stack).
 */
export class SipParseError extends ClusterError {
  request: SipRequest | undefined;

  constructor(
    readonly reason: string,
    readonly detail?: string,
    readonly status = 400,
  ) {
    super('STG_ERR_SIP_PARSE', detail ? `${reason}: ${detail}` : reason);
  }
}

/** A short, printable excerpt of untrusted input for an error detail (never the whole value, never raw controls). */
export function excerpt(text: string, max = 80): string {
  const shown = text.length > max ? `${text.slice(0, max)}...` : text;
  return JSON.stringify(shown);
}
