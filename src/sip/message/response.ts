import { HeaderList } from './headers.js';
import { SipResponse, type SipRequest } from './message.js';
import { newTag } from './random-id.js';
import { reasonPhrase } from './reason-phrases.js';

export interface ResponseOptions {
  /** The To tag to add when the request's To has none (default: a new random tag; not added to a 100). */
  readonly toTag?: string;
  /** More header fields, in order, after the copied ones. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: Buffer;
}

/**
 * A response to `request` (RFC 3261 8.2.6.2): Via (every value, in order), From, To, Call-ID and CSeq copied as
 * written, and a To tag added unless the request's To has one or the status is 100. Record-Route is not copied: that
 * is for a UAS establishing a dialog, which this proxy never is.
 */
export function createResponse(
  request: SipRequest,
  status: number,
  reason: string = reasonPhrase(status),
  options: ResponseOptions = {},
): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699)
    throw new RangeError(`status ${status} is not 100-699`);
  if (/[\r\n]/.test(reason)) throw new TypeError('a reason phrase cannot hold CR or LF');
  const headers = new HeaderList();
  for (const via of request.headers.lines('via')) headers.append('Via', via);
  headers.append('From', request.headers.get('from') ?? '');
  let to = request.headers.get('to') ?? '';
  if (status > 100 && needsTag(request)) to += `;tag=${options.toTag ?? newTag()}`;
  headers.append('To', to);
  headers.append('Call-ID', request.headers.get('call-id') ?? '');
  headers.append('CSeq', request.headers.get('cseq') ?? '');
  for (const [name, value] of options.headers ?? []) headers.append(name, value);
  return new SipResponse(status, reason, headers, options.body);
}

/** A To without a tag gets ours; a To that cannot be read (the 400 that says so) is sent back as it came. */
function needsTag(request: SipRequest): boolean {
  try {
    return request.to().tag === undefined;
  } catch {
    return false;
  }
}
