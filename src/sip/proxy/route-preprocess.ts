import { SipUri, type SipRequest } from '../message/index.js';
import { readPathHop, type PathHop } from './cross-node.js';
import type { Flow, FlowTokens } from './flow-token.js';
import type { LocalIdentity } from './local-identity.js';

/** What Route pre-processing took from the Routes it removed. */
export interface TakenRoutes {
  /** The flows named by the flow tokens of our Record-Routes, in order (see FlowTokens). */
  readonly flows: Flow[];
  /**
   * Set when one of the removed Routes was our own Path entry (it carries our `fs-proxy-id`): another node sends
   * this request to a device registered here, on the flow it names (cross-node.ts).
   */
  readonly pathHop?: PathHop | undefined;
}

/**
 * Route information pre-processing (RFC 3261 16.4), in place on the request:
 * - strict-router compatibility: a Request-URI that is one of our Record-Route URIs (it has `lr`) came from a
 *   strict router, which moved the real Request-URI to the last Route: it is put back;
 * - every Route on top that names us is removed (two when we record-routed twice, RFC 5658; our Path entry).
 */
export function preprocessRoutes(request: SipRequest, identity: LocalIdentity, tokens: FlowTokens): TakenRoutes {
  const flows: Flow[] = [];
  if (!request.headers.has('route')) return { flows };
  let pathHop: PathHop | undefined;
  const uri = request.uri();
  if (uri instanceof SipUri && uri.hasParam('lr') && identity.isLocalUri(uri)) {
    const routes = request.routes();
    const last = routes.at(-1);
    if (last) {
      collect(uri, tokens, flows);
      request.setUri(last.uri);
      request.headers.set(
        'Route',
        routes.slice(0, -1).map((route) => route.toString()),
      );
    }
  }
  for (;;) {
    const top = request.routes()[0];
    if (!top || !identity.isLocalUri(top.uri)) break;
    if (pathHop === undefined && top.uri instanceof SipUri && identity.isOwnPathUri(top.uri)) {
      pathHop = readPathHop(top.uri);
    }
    collect(top.uri, tokens, flows);
    request.headers.removeFirst('Route');
  }
  return { flows, pathHop };
}

function collect(uri: unknown, tokens: FlowTokens, flows: Flow[]): void {
  if (!(uri instanceof SipUri) || uri.user === undefined) return;
  const decoded = tokens.decode(uri.user);
  if (decoded) flows.push(...decoded);
}
