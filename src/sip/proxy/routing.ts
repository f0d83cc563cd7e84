import { isIPv6 } from 'node:net';
import { expandIPv6, SipUri, type SipRequest } from '../message/index.js';
import type { MessageSource } from '../transport/index.js';
import type { BranchTarget } from './branch-target.js';
import type { ContactLookup, LiveContact, PushHook } from './contact-lookup.js';
import { aorOf, arrivedThroughPath, bindingOfFlow, pathRoute, type PathHop } from './cross-node.js';
import { flowOf, otherFlow, type Flow } from './flow-token.js';
import type { LocalIdentity } from './local-identity.js';
import { flowDestination } from './next-hop.js';
import type { ProxySettings } from './settings.js';

/** What to do with a request (RFC 3261 16.5: determining the targets). */
export type Decision =
  /** Forward to these targets in parallel (one, or every contact of an AOR). */
  | { readonly kind: 'forward'; readonly targets: readonly BranchTarget[] }
  /** Forward to the PBX targets, one after the other on failure. */
  | { readonly kind: 'pbx' }
  /** Answer here. */
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly reason?: string;
      readonly headers?: readonly (readonly [string, string])[];
    }
  /** A request addressed to this proxy itself (no user part): OPTIONS is answered 200. */
  | { readonly kind: 'self' }
  /** Issue 8: a push can wake one of these contacts; the push hook takes the request over. */
  | { readonly kind: 'wait'; readonly aor: string; readonly contacts: readonly LiveContact[] };

export interface RoutingEnvironment {
  readonly identity: LocalIdentity;
  readonly settings: ProxySettings;
  readonly contacts: ContactLookup;
  readonly push: PushHook;
  /** True while the stream connection with this id is open on this node. */
  hasConnection(connectionId: string): boolean;
  /** Told when a lookup failed (for the log). */
  locationDown?(): void;
}

/**
 * The routing rules, in order (after Route pre-processing, which removed our own Routes and gave their flows):
 * 0. our own Path entry was a Route: another node sends the request to a device registered here, through the
 *    listener the Path names (403 on any other); it goes on the flow the Route names when a binding really uses it
 *    and this process still has it (503 otherwise, never anywhere else; see cross-node.ts);
 * 1. a Route left: forward to it (loose routing; RFC 3261 16.5 says the Request-URI is then the only target);
 * 2. a flow from our Record-Route that is not the one the request came on: the other side of the dialog, reached
 *    on its flow (430 Flow Failed when its connection is gone, RFC 5626);
 * 3. a Request-URI naming this proxy without a user (or an OPTIONS with one when no domain is configured): for
 *    the proxy itself;
 * 4. a GRUU of our domains: its device (480 when it is not registered);
 * 5. a user of our domains (or a user "at" our own address, taken in the main domain): every live contact, in
 *    parallel; none: to the PBX when a device asked and `localMissesToPbx` is on, else 480 (the push hook is told);
 *    when a contact has push parameters, the push hook may take the request instead (`wait`, issue 8);
 * 6. anything else: in-dialog requests and requests from the PBX go where the Request-URI says; a new request from a
 *    device goes to the PBX (never to an arbitrary domain: no open relay).
 */
export async function decide(
  request: SipRequest,
  source: MessageSource,
  flows: readonly Flow[],
  env: RoutingEnvironment,
  pathHop?: PathHop,
): Promise<Decision> {
  if (pathHop) return deliverOnFlow(request, source, pathHop, env);
  if (request.headers.has('route')) return forwardTo({ label: 'route' });
  const arrival: Flow = source;
  const other = otherFlow(flows, arrival, (id) => env.hasConnection(id));
  if (other) {
    if (other.connectionId !== undefined && !env.hasConnection(other.connectionId)) {
      return { kind: 'answer', status: 430, reason: 'Flow Failed' };
    }
    return forwardTo({ destination: flowDestination(other), label: 'flow' });
  }

  const uri = request.uri();
  const fromPbx = isFromPbx(source, env.settings);
  const inDialog = request.to().tag !== undefined;
  if (!(uri instanceof SipUri)) return fromPbx || inDialog ? { kind: 'answer', status: 416 } : toPbx(env);
  const atUs = env.identity.isLocalUri(uri);
  if (atUs && uri.user === undefined) return { kind: 'self' };
  const domain = atUs ? env.identity.mainDomain : env.identity.isLocalDomain(uri.host) ? uri.host : undefined;

  if (domain !== undefined && uri.user !== undefined) {
    if (uri.hasParam('gr')) {
      const device = await lookingUp(() => env.contacts.lookupGruu(uri));
      if (device === UNAVAILABLE) return unavailable(env);
      if (device && reachable(device, env)) return forwardTo(contactTarget(device, env, `${uri.user}@${domain}`));
      return { kind: 'answer', status: 480, reason: 'Device Not Registered' };
    }
    const aor = `${uri.user}@${domain}`;
    const contacts = await lookingUp(() => env.contacts.lookup(aor));
    if (contacts === UNAVAILABLE) return unavailable(env);
    const live = contacts.filter((contact) => reachable(contact, env));
    // Issue 8: with a device a push can wake, the push hook forks (to the live flows at once) and waits.
    if (live.length > 0 && env.push.shouldWait?.(aor, request, contacts)) return { kind: 'wait', aor, contacts };
    if (live.length > 0) return { kind: 'forward', targets: live.map((contact) => contactTarget(contact, env, aor)) };
    if (!fromPbx && env.settings.localMissesToPbx && env.settings.pbx.targets.length > 0) return { kind: 'pbx' };
    if (env.push.shouldWait?.(aor, request, contacts)) return { kind: 'wait', aor, contacts };
    env.push.noReachableContact(aor, request, contacts);
    return { kind: 'answer', status: 480 };
  }
  if (atUs && domain === undefined) {
    // No domain to look the user up in: an OPTIONS to our address is a keep-alive or a health check (SIPp,
    // HAProxy), for us to answer.
    if (request.method === 'OPTIONS') return { kind: 'self' };
    return fromPbx || inDialog ? { kind: 'answer', status: 404 } : toPbx(env);
  }
  if (inDialog || fromPbx) return forwardTo({ label: 'request-uri' });
  return toPbx(env);
}

/**
 * Rule 0, on the node holding the device's flow: the binding of the named address of record that uses the
 * referenced flow (read again from the data Redis: the reference is never trusted), then that flow if this
 * process still has it. The Request-URI stays (the sending node wrote the contact there). 503 otherwise: the
 * sending node's branch fails (RFC 3261 16.7 sends it upstream as 500), a push wait there may still wake the device.
 */
async function deliverOnFlow(
  request: SipRequest,
  source: MessageSource,
  hop: PathHop,
  env: RoutingEnvironment,
): Promise<Decision> {
  // Only other nodes send through our Path, to the listener it names; anyone else is refused outright.
  if (!arrivedThroughPath(hop, source)) return { kind: 'answer', status: 403, reason: 'Path Route Not Accepted Here' };
  const aor = aorOf(hop, request);
  const contacts = aor === undefined ? [] : await lookingUp(() => env.contacts.lookup(aor));
  if (contacts === UNAVAILABLE) return unavailable(env);
  const binding = bindingOfFlow(contacts, hop, request.uri(), env.identity);
  if (!binding) return { kind: 'answer', status: 503, reason: 'Unknown Flow' };
  const flow = localFlow(binding, env);
  if (!flow || (flow.connectionId !== undefined && !env.hasConnection(flow.connectionId))) {
    return { kind: 'answer', status: 503, reason: 'Flow Gone' };
  }
  return forwardTo({
    // The Request-URI as it came, less what a Flexisip node leaves in it (fs-conn-id...): never on the wire.
    uri: request.uri(),
    destination: flowDestination(flow),
    outboundFlow: flow,
    label: `flow of ${binding.instance ?? aor}`,
  });
}

const UNAVAILABLE = Symbol('the location service is unavailable');

/** A lookup that failed (the data Redis down or slow): the caller gets a 503, never a bug report. */
async function lookingUp<T>(lookup: () => Promise<T>): Promise<T | typeof UNAVAILABLE> {
  try {
    return await lookup();
  } catch {
    return UNAVAILABLE;
  }
}

/**
 * 503 with Retry-After: without the bindings we cannot route to users, and this node really is unable to; a PBX or
 * device may try another node meanwhile (RFC 3263 failover).
 */
function unavailable(env: RoutingEnvironment): Decision {
  env.locationDown?.();
  return { kind: 'answer', status: 503, reason: 'Location Service Unavailable', headers: [['Retry-After', '5']] };
}

function forwardTo(target: BranchTarget): Decision {
  return { kind: 'forward', targets: [target] };
}

function toPbx(env: RoutingEnvironment): Decision {
  if (env.settings.pbx.targets.length === 0) return { kind: 'answer', status: 403, reason: 'Relaying Denied' };
  return { kind: 'pbx' };
}

/**
 * The request came from one of the PBX targets: over UDP from its address and port (a PBX sends from the port it
 * listens on); over a stream from its address (a connection it opened comes from any port).
 */
export function isFromPbx(source: MessageSource, settings: ProxySettings): boolean {
  const address = normal(source.address);
  return settings.pbx.targets.some(
    (target) => normal(target.address) === address && (source.transport !== 'udp' || target.port === source.port),
  );
}

function normal(address: string): string {
  return isIPv6(address) ? expandIPv6(address) : address;
}

/** Our own Path entries at the top of a contact's Path mean the device is on this node. */
function foreignPath(contact: LiveContact, env: RoutingEnvironment): readonly SipUri[] {
  let start = 0;
  while (start < contact.path.length && env.identity.isLocalUri(contact.path[start]!)) start++;
  return contact.path.slice(start);
}

function streamTransport(contact: LiveContact): Flow['transport'] | undefined {
  const transport = contact.uri.scheme === 'sips' ? 'tls' : contact.uri.transport;
  return transport === undefined || transport === 'udp' ? undefined : (transport as Flow['transport']);
}

/**
 * The flow on this node that reaches a contact with no foreign Path: the one the registrar remembered, else (a
 * stream contact whose connection this process still has) its connection. Undefined: send to the contact URI.
 */
function localFlow(contact: LiveContact, env: RoutingEnvironment): Flow | undefined {
  if (contact.flow) return flowOf(contact.flow);
  const transport = streamTransport(contact);
  if (transport === undefined || contact.connectionId === undefined) return undefined;
  if (!env.hasConnection(contact.connectionId)) return undefined;
  return {
    transport,
    address: contact.uri.hostname,
    port: contact.uri.port ?? 5060,
    connectionId: contact.connectionId,
  };
}

/**
 * Whether a contact can be reached now: through a foreign Path (the node holding its flow decides), on a flow of
 * ours that is still open, or over UDP at its URI. A stream contact whose connection is gone cannot: a device
 * behind NAT cannot be connected to (a push, issue 8, would wake it).
 */
function reachable(contact: LiveContact, env: RoutingEnvironment): boolean {
  if (foreignPath(contact, env).length > 0) return true;
  const flow = localFlow(contact, env);
  if (flow) return flow.connectionId === undefined || env.hasConnection(flow.connectionId);
  return streamTransport(contact) === undefined;
}

/** Issue 8: the branch to a contact when this node can reach it now, else undefined. */
export function reachableTarget(contact: LiveContact, env: RoutingEnvironment): BranchTarget | undefined {
  return reachable(contact, env) ? contactTarget(contact, env, contact.aor) : undefined;
}

/**
 * One branch per contact: its URI as the Request-URI (internal and push parameters are removed when sent), its
 * Path minus our own entries as Route headers (the top one naming the device's flow on the node holding it, with
 * the address of record `aor` the binding belongs to: cross-node.ts), and when it is on this node, its flow.
 */
function contactTarget(contact: LiveContact, env: RoutingEnvironment, aor: string | undefined): BranchTarget {
  const path = foreignPath(contact, env);
  const label = `contact ${contact.instance ?? contact.uri.toString()}`;
  if (path.length > 0) {
    const preRoutes = path.map((hop, index) => pathRoute(hop, index, contact, contact.aor ?? aor));
    return { uri: contact.uri, preRoutes, label };
  }
  const flow = localFlow(contact, env);
  if (!flow) return { uri: contact.uri, label };
  return { uri: contact.uri, destination: flowDestination(flow), outboundFlow: flow, label };
}
