import { createResponse, type SipRequest, type SipResponse } from '../message/index.js';

/** Responses the proxy made for a branch itself (408 on a timeout, 503 on a transport error), from the request as received. */
const LOCAL = new WeakSet<SipResponse>();

export function localResponse(request: SipRequest, status: number, reason?: string): SipResponse {
  const response = createResponse(request, status, reason);
  LOCAL.add(response);
  return response;
}

/** RFC 3261 16.7 step 6: within 4xx, answers that let the caller retry differently come first. */
const PREFERRED_4XX = [401, 407, 415, 420, 484];

/**
 * The final response to send upstream when every branch failed (RFC 3261 16.7 steps 6 and 7): a 6xx if any, else
 * the lowest class; within a class a response from the network before one we made up, and within 4xx the ones
 * that help a retry. A 401/407 gathers the challenges of every 401/407 received. A 503 goes up as 500: a 503 from
 * us would tell the caller that this proxy, not only this target, is unavailable. The candidates are ready to go
 * upstream (our Via removed); `request` is the request as received, for a response made here.
 */
export function bestResponse(candidates: readonly SipResponse[], request: SipRequest): SipResponse {
  if (candidates.length === 0) return createResponse(request, 500, 'No branch answered');
  const sixes = candidates.filter((r) => r.status >= 600);
  let pool = sixes;
  if (pool.length === 0) {
    const lowest = Math.min(...candidates.map((r) => Math.floor(r.status / 100)));
    pool = candidates.filter((r) => Math.floor(r.status / 100) === lowest);
  }
  const chosen =
    PREFERRED_4XX.map((status) => pool.find((r) => r.status === status)).find((r) => r !== undefined) ??
    pool.find((r) => !LOCAL.has(r)) ??
    pool[0]!;
  if (chosen.status === 503) return createResponse(request, 500, 'Service Unavailable Downstream');
  if (chosen.status === 401 || chosen.status === 407) gatherChallenges(chosen, candidates);
  return chosen;
}

function gatherChallenges(chosen: SipResponse, candidates: readonly SipResponse[]): void {
  for (const other of candidates) {
    if (other === chosen || (other.status !== 401 && other.status !== 407)) continue;
    for (const name of ['WWW-Authenticate', 'Proxy-Authenticate']) {
      for (const value of other.headers.lines(name)) chosen.headers.append(name, value);
    }
  }
}
