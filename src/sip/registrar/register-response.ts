import { createResponse, type NameAddr, type SipRequest, type SipResponse } from '../message/index.js';
import type { StoredBinding } from './flexisip-contact.js';
import type { RegisterRequestInfo } from './register-plan.js';

/*
 * The answers to a REGISTER. They are built without a server transaction, so a retransmitted REGISTER is processed
 * again; its answer must still be the same response (RFC 3261 8.2.6.2: one To tag for all responses to a request),
 * hence a To tag derived from the request instead of a random one.
 */

/** 200 OK listing every live binding of the AOR with the seconds it has left (RFC 3261 10.3 step 8). */
export function registerOk(
  request: SipRequest,
  live: readonly StoredBinding[],
  info: RegisterRequestInfo,
  nowMs: number,
): SipResponse {
  const nowS = Math.floor(nowMs / 1000);
  const headers: [string, string][] = [];
  for (const binding of live) {
    let contact: NameAddr = binding.contact;
    // The bare pub-gruu is a storage marker ("no GRUU assigned"), not something to tell the device.
    if (contact.params.get('pub-gruu') === null) contact = contact.withoutParam('pub-gruu');
    contact = contact.withParam('expires', String(Math.max(0, binding.updatedAt + binding.expires - nowS)));
    headers.push(['Contact', contact.toString()]);
  }
  if (info.responsePath) headers.push(['Path', info.responsePath.map((hop) => `<${hop}>`).join(', ')]);
  if (info.supported.length > 0) headers.push(['Supported', info.supported.join(', ')]);
  headers.push(['Date', httpDate(nowMs)]);
  return withKnownVia(request, createResponse(request, 200, 'OK', { toTag: stableToTag(request), headers }));
}

/** An error answer: 4xx/5xx with its extra headers (Min-Expires, Retry-After, Unsupported). */
export function registerError(
  request: SipRequest,
  status: number,
  reason: string,
  headers: readonly [string, string][] = [],
): SipResponse {
  return withKnownVia(request, createResponse(request, status, reason, { toTag: stableToTag(request), headers }));
}

/**
 * The response's top Via is the request's, copied as written: hand the parsed one over, so that sending the answer
 * (which routes by it, RFC 3261 18.2.2) does not parse it again. A few percent of a REGISTER's cost under load.
 */
function withKnownVia(request: SipRequest, response: SipResponse): SipResponse {
  response.headers.remember('via', 'top', request.topVia());
  return response;
}

/** The seconds of a Retry-After: the configured base and up to half again at random, so retries spread out. */
export function retryAfter(baseS: number, random: () => number = Math.random): string {
  return String(baseS + Math.floor(random() * (baseS / 2 + 1)));
}

/**
 * The same request (Call-ID, CSeq, From tag) always gets the same To tag: 64 bits of FNV-1a over them, in two 32-bit
 * halves with different offsets. Not a secret (the tag of a REGISTER answer establishes no dialog), just stable.
 */
function stableToTag(request: SipRequest): string {
  const seed = `${request.callId()}\n${request.cseq().seq}\n${request.from().tag ?? ''}`;
  let high = 0x811c9dc5;
  let low = 0x050c5d1f;
  for (let i = 0; i < seed.length; i++) {
    const code = seed.charCodeAt(i);
    high = Math.imul(high ^ code, 0x01000193) >>> 0;
    low = Math.imul(low ^ code ^ (high & 0xff), 0x01000193) >>> 0;
  }
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}

let dateSecond = -1;
let dateText = '';

/** The Date header (RFC 3261 20.17, RFC 1123 format), formatted once per second. */
function httpDate(nowMs: number): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}
