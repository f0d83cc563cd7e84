import { isIPv6 } from 'node:net';
import { Params, SipRequest, SipUri, Via, type Uri } from '../message/index.js';
import type { ListenSpec } from '../transport/index.js';

/**
 * The copy of a request for one branch (RFC 3261 16.6 steps 1-6): its own headers, the new Request-URI (internal
 * parameters of a registered contact removed), Max-Forwards decremented (70 when absent), the contact's Path in
 * front of any Route (RFC 3327), and strict-route compatibility (a top Route without `lr` becomes the Request-URI,
 * the Request-URI going to the end of the Route set). Returns the copy and its next hop (top Route, else the
 * Request-URI). Via and Record-Route come later, once the outgoing transport is known.
 */
export function forwardedCopy(
  request: SipRequest,
  target: { readonly uri?: Uri | undefined; readonly preRoutes?: readonly string[] | undefined },
): { copy: SipRequest; nextHop: Uri } {
  const copy = new SipRequest(request.method, request.uriText, request.headers.clone(), request.body);
  if (target.uri) copy.setUri(withoutInternalParams(target.uri));
  const maxForwards = request.maxForwards();
  copy.headers.set('Max-Forwards', String(maxForwards === undefined ? 70 : maxForwards - 1));
  const preRoutes = target.preRoutes ?? [];
  for (let i = preRoutes.length - 1; i >= 0; i--) copy.headers.prepend('Route', preRoutes[i]!);
  const top = copy.headers.has('route') ? copy.routes()[0] : undefined;
  if (!top) return { copy, nextHop: copy.uri() };
  if (top.uri instanceof SipUri && !top.uri.hasParam('lr')) {
    // A strict router next (RFC 2543): it expects itself in the Request-URI.
    copy.headers.removeFirst('Route');
    copy.headers.append('Route', `<${copy.uriText}>`);
    copy.setUri(top.uri);
    return { copy, nextHop: top.uri };
  }
  return { copy, nextHop: top.uri };
}

/** Our Via for a request leaving from `listener`. */
export function ourVia(listener: ListenSpec, branch: string): Via {
  return new Via({
    transport: listener.transport.toUpperCase(),
    host: bracketed(listener.address),
    port: listener.port,
    params: new Params([{ name: 'branch', value: branch }]),
  });
}

/** A Record-Route value naming `listener`, with `lr` and a flow token in the user part. */
export function recordRouteValue(listener: ListenSpec, token: string | undefined): string {
  const user = token === undefined ? '' : `${token}@`;
  const transport = listener.transport === 'udp' ? '' : `;transport=${listener.transport}`;
  return `<sip:${user}${bracketed(listener.address)}:${listener.port}${transport};lr>`;
}

/**
 * Parameters of a stored contact that must never reach the wire (Flexisip strips the same): the connection id, and
 * the push parameters (RFC 8599 and legacy) that only the push service needs.
 */
export function withoutInternalParams(uri: Uri): Uri {
  if (!(uri instanceof SipUri)) return uri;
  const internal = uri.params.filter((param) => isInternal(param.name.toLowerCase()));
  if (internal.length === 0) return uri;
  return uri.with({ params: uri.params.filter((param) => !isInternal(param.name.toLowerCase())) });
}

function isInternal(name: string): boolean {
  return name === 'fs-conn-id' || name === 'app-id' || name.startsWith('pn-');
}

function bracketed(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}
