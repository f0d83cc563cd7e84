import { isIP, isIPv6 } from 'node:net';
import { escapeUriParam, expandIPv6, SipUri, type SipRequest, type Uri } from '../message/index.js';
import type { MessageSource } from '../transport/index.js';
import type { LiveContact } from './contact-lookup.js';
import { withoutInternalParams } from './forward.js';
import type { LocalIdentity } from './local-identity.js';

/*
 * Device flows across nodes (issue 6). A device's binding names the node holding its connection by the top Path
 * entry (`fs-proxy-id`) and the connection by `fs-conn-id`. Another node (B) reaching that device sends the request
 * through the Path, and tells the holding node (A) which flow to use in two parameters of the Path Route, which A
 * consumes: they exist on the internal hop only.
 *
 *   Route: <sip:10.0.0.1:5556;transport=tcp;fs-proxy-id=0123456789abcdef;lr;fs-flow=<fs-conn-id>;fs-aor=<user@host>>
 *
 * A delivers only what arrives on the listener its Path names (its internal listener: another node sending through
 * the Path connects there; the public listeners never deliver this way). A never trusts the reference: it delivers
 * only when a binding of `fs-aor` (read from the data Redis) names that
 * very flow, has A's Path on top, and has the Request-URI as its contact. A request can thus only reach a flow as a
 * request for the device registered on it, which any caller could send through B anyway; a made-up or stale
 * reference is answered 503, never sent to some other connection.
 */

/** The Route parameter naming the device's flow on the holding node: the binding's fs-conn-id. */
export const FLOW_PARAM = 'fs-flow';
/** The Route parameter naming the address of record whose binding the flow belongs to (`user@host`, escaped). */
export const AOR_PARAM = 'fs-aor';

/** What a request arriving through our own Path Route says about the flow it wants. */
export interface PathHop {
  readonly flowId?: string | undefined;
  readonly aor?: string | undefined;
  /** The host and port of our Path entry: the listener the sending node connected to. */
  readonly host: string;
  readonly port: number;
}

/** A flow reference: a connection id or the registrar's UDP flow id (hex), nothing a header could be built from. */
const FLOW_ID = /^[0-9A-Za-z._-]{1,64}$/;

/**
 * The Route value for a Path entry of another node: the top one (the node holding the flow) gets the flow
 * reference when the binding has one; the others are sent as stored.
 */
export function pathRoute(hop: SipUri, index: number, contact: LiveContact, aor: string | undefined): string {
  if (index > 0 || contact.connectionId === undefined) return `<${hop.toString()}>`;
  let uri = hop.withoutParam(FLOW_PARAM).withoutParam(AOR_PARAM).withParam(FLOW_PARAM, contact.connectionId);
  if (aor !== undefined) uri = uri.withParam(AOR_PARAM, escapeUriParam(aor));
  return `<${uri.toString()}>`;
}

/**
 * The flow a request through our Path names: ours in the Route (`fs-flow`), else, as a Flexisip node sends it, the
 * `fs-conn-id` left in the Request-URI (Flexisip copies the stored contact, internal parameters and all).
 */
export function flowIdOf(hop: PathHop, requestUri: Uri): string | undefined {
  if (hop.flowId !== undefined) return hop.flowId;
  const stored = requestUri instanceof SipUri ? requestUri.param('fs-conn-id') : undefined;
  return typeof stored === 'string' && FLOW_ID.test(stored) ? stored : undefined;
}

/** The flow reference of one of our own Path entries, as Route pre-processing removes it. */
export function readPathHop(uri: SipUri): PathHop {
  const flowId = uri.param(FLOW_PARAM);
  const aor = uri.param(AOR_PARAM);
  return {
    flowId: typeof flowId === 'string' && FLOW_ID.test(flowId) ? flowId : undefined,
    aor: typeof aor === 'string' && aor !== '' ? aor : undefined,
    host: uri.hostname,
    port: uri.port ?? (uri.scheme === 'sips' || uri.transport === 'tls' ? 5061 : 5060),
  };
}

/**
 * True when the request reached the listener our Path entry names (same port; same address unless the listener or
 * the Path names no address: a wildcard listener, a host name in the Path).
 */
export function arrivedThroughPath(hop: PathHop, source: MessageSource): boolean {
  if (source.local.port !== hop.port) return false;
  const local = normal(source.local.address);
  if (local === '0.0.0.0' || local === normal('::') || isIP(normal(hop.host)) === 0) return true;
  return local === normal(hop.host);
}

function normal(address: string): string {
  const bare = address.startsWith('[') ? address.slice(1, -1) : address;
  return isIPv6(bare) ? expandIPv6(bare) : bare.toLowerCase();
}

/** The address of record to check the reference against: the one named, else the To URI's (`user@host`). */
export function aorOf(hop: PathHop, request: SipRequest): string | undefined {
  if (hop.aor !== undefined) return hop.aor;
  const to = request.to().uri;
  return to instanceof SipUri && to.user !== undefined ? `${to.user}@${to.host}` : undefined;
}

/**
 * The binding that really uses the referenced flow: same fs-conn-id, registered through this node (our Path on
 * top), and whose contact is the Request-URI (compared without internal parameters, which a Flexisip node leaves).
 */
export function bindingOfFlow(
  contacts: readonly LiveContact[],
  hop: PathHop,
  requestUri: Uri,
  identity: LocalIdentity,
): LiveContact | undefined {
  const flowId = flowIdOf(hop, requestUri);
  const wanted = withoutInternalParams(requestUri);
  if (flowId === undefined || !(wanted instanceof SipUri)) return undefined;
  return contacts.find((contact) => {
    const top = contact.path[0];
    if (contact.connectionId !== flowId || top === undefined || !identity.isOwnPathUri(top)) return false;
    const uri = withoutInternalParams(contact.uri);
    return uri instanceof SipUri && uri.equals(wanted);
  });
}
