import { SipUri, type SipRequest } from '../message/index.js';
import type { Flow, FlowTokens } from './flow-token.js';
import type { LocalIdentity } from './local-identity.js';

/**
 * Route information pre-processing (RFC 3261 16.4), in place on the request:
 * - strict-router compatibility: a Request-URI that is one of our Record-Route URIs (it has `lr`) came from a
 *   strict router, which moved the real Request-URI to the last Route: it is put back;
 * - every Route on top that names us is removed (two when we record-routed twice, RFC 5658).
 * Returns the flows named by the flow tokens of the removed Routes (see FlowTokens), in order.
 */
export function preprocessRoutes(request: SipRequest, identity: LocalIdentity, tokens: FlowTokens): Flow[] {
  const flows: Flow[] = [];
  if (!request.headers.has('route')) return flows;
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
    collect(top.uri, tokens, flows);
    request.headers.removeFirst('Route');
  }
  return flows;
}

function collect(uri: unknown, tokens: FlowTokens, flows: Flow[]): void {
  if (!(uri instanceof SipUri) || uri.user === undefined) return;
  const decoded = tokens.decode(uri.user);
  if (decoded) flows.push(...decoded);
}
