import { jsonObject } from '../json-object.js';
import type { AgentView } from './agent-view.js';
import type { ProxyAnswer } from './sip-proxy-client.js';

/** A JSON answer: status code, a small object saying why, extra headers. */
export interface JsonReply {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export type Route =
  | { name: 'health' }
  | { name: 'leader' }
  | { name: 'sip-proxy' }
  | { name: 'resource'; id: string }
  | { name: 'metrics' };

export const ALLOWED_METHODS = ['GET', 'HEAD'] as const;
const ROUTES = ['/health', '/health/sip-proxy', '/health/<resource>', '/leader', '/metrics'];

/** The resource id `/health/sip-proxy` also reports on, when this node runs the proxy as a resource. */
export const SIP_PROXY_RESOURCE = 'sip-proxy';

/**
 * Which route a request asks for, or the error reply when there is none: 400 for a target that is not a path
 * (or does not percent-decode), 404 for an unknown path, 405 (with Allow) for a known path and another method.
 * The path is matched before the method, so an unknown path is 404 whatever the method.
 */
export function matchRoute(method: string | undefined, target: string | undefined): Route | JsonReply {
  const segments = pathSegments(target ?? '');
  if (segments === undefined) return { status: 400, body: { status: 'bad request', reason: 'malformed URL' } };
  const route = routeOf(segments);
  if (route === undefined) return { status: 404, body: { status: 'not found', routes: ROUTES } };
  if (!(ALLOWED_METHODS as readonly string[]).includes(method ?? '')) {
    const allow = ALLOWED_METHODS.join(', ');
    return { status: 405, body: { status: 'method not allowed', allow: [...ALLOWED_METHODS] }, headers: { allow } };
  }
  return route;
}

/** 200 when this agent sees a majority of the lock members (it runs, since it answers), else 503. */
export function healthReply(view: AgentView): JsonReply {
  if (!view.seesMajority()) return { status: 503, body: { node: view.node, status: 'no quorum', quorum: false } };
  const leading = view.leaderTerm() !== undefined;
  return { status: 200, body: { node: view.node, status: 'ok', quorum: true, leader: leading, term: view.termSeen() } };
}

/** 200 only on the leader of the current term (its local bound holds), else 503: what HAProxy checks. */
export function leaderReply(view: AgentView): JsonReply {
  const term = view.leaderTerm();
  if (term === undefined) {
    return {
      status: 503,
      body: { node: view.node, leader: false, status: 'not the leader', termSeen: view.termSeen() },
    };
  }
  return { status: 200, body: { node: view.node, leader: true, term, leaseLeftMs: view.leaseLeftMs() } };
}

/** 200 when the resource is started on this node, 503 when stopped, failed or unknown, 404 for an unknown id. */
export function resourceReply(view: AgentView, id: string): JsonReply {
  const resource = view.resources().find((r) => r.id === id);
  if (resource === undefined) {
    // The id comes from the request: shortened, and only ever a JSON string value.
    return { status: 404, body: { node: view.node, status: 'unknown resource', resource: id.slice(0, 100) } };
  }
  const body: Record<string, unknown> = {
    node: view.node,
    resource: resource.id,
    state: resource.state,
    wanted: resource.wanted,
    failcount: resource.failcount,
  };
  if (resource.state === 'started') return { status: 200, body };
  const { lastFailure } = resource;
  if (lastFailure !== undefined) {
    body['lastFailure'] = { operation: lastFailure.operation, rcName: lastFailure.rcName, reason: lastFailure.reason };
  }
  return { status: 503, body };
}

/**
 * `/health/sip-proxy`: 200 with the proxy's own health when it answers 200 (and its resource, if this node has one,
 * is started); 503 with a reason: `unreachable`, the proxy's own reason, or the resource's state. Without `sipProxy`
 * in the node file: a `sip-proxy` resource is reported as any resource, else 404 `not configured`.
 */
export function sipProxyHealthReply(view: AgentView, answer: ProxyAnswer | undefined): JsonReply {
  const resource = view.resources().find((r) => r.id === SIP_PROXY_RESOURCE);
  if (answer === undefined) {
    if (resource !== undefined) return resourceReply(view, SIP_PROXY_RESOURCE);
    return {
      status: 404,
      body: { node: view.node, status: 'not configured', reason: 'not configured (no sipProxy in the node file)' },
    };
  }
  const body: Record<string, unknown> = { node: view.node };
  if (resource !== undefined) body['resource'] = { id: resource.id, state: resource.state, wanted: resource.wanted };
  if (!answer.ok)
    return { status: 503, body: { ...body, status: 'unhealthy', reason: 'unreachable', detail: answer.reason } };
  const proxy = jsonObject(answer.text);
  if (answer.status !== 200) {
    const reason = typeof proxy?.['reason'] === 'string' ? proxy['reason'] : `the proxy answered ${answer.status}`;
    return { status: 503, body: { ...body, status: 'unhealthy', reason, proxy: proxy ?? null } };
  }
  if (resource !== undefined && resource.state !== 'started') {
    const reason = `resource ${resource.id} is ${resource.state} on this node`;
    return { status: 503, body: { ...body, status: 'unhealthy', reason, proxy: proxy ?? null } };
  }
  return { status: 200, body: { ...body, status: 'ok', proxy: proxy ?? null } };
}

function routeOf(segments: string[]): Route | undefined {
  const [first, second, ...rest] = segments;
  if (rest.length > 0) return undefined;
  if (second === undefined) {
    if (first === 'health') return { name: 'health' };
    if (first === 'leader') return { name: 'leader' };
    if (first === 'metrics') return { name: 'metrics' };
    return undefined;
  }
  // Before resources: the proxy's own health, which includes its resource's state when there is one.
  if (first === 'health' && second === SIP_PROXY_RESOURCE) return { name: 'sip-proxy' };
  if (first === 'health' && second !== '') return { name: 'resource', id: second };
  return undefined;
}

/**
 * The decoded path segments of a request target, or undefined when it is malformed. Origin-form (`/a/b?q`) and
 * absolute-form (`http://host/a/b`, RFC 9112 3.2.2) are accepted; `new URL(target, base)` is not used on
 * origin-form because it would read `//host/x` as an authority.
 */
function pathSegments(target: string): string[] | undefined {
  let path = target;
  if (/^https?:\/\//i.test(path)) {
    try {
      path = new URL(path).pathname;
    } catch {
      return undefined;
    }
  }
  if (!path.startsWith('/')) return undefined;
  const end = path.search(/[?#]/);
  if (end >= 0) path = path.slice(0, end);
  try {
    return path.slice(1).split('/').map(decodeURIComponent);
  } catch {
    return undefined; // URIError: a bad percent-escape
  }
}
