/** The paths of the status endpoint. */
export type StatusRoute = 'metrics' | 'status' | 'health';

const ROUTES: readonly StatusRoute[] = ['metrics', 'status', 'health'];
export const STATUS_PATHS = ROUTES.map((route) => `/${route}`);
export const ALLOWED_METHODS = ['GET', 'HEAD'] as const;

export interface ErrorReply {
  readonly status: 400 | 404 | 405;
  readonly body: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

/**
 * The route a request asks for, or the error to answer: 400 for a target that is not a path, 404 for another path
 * (whatever the method), 405 with Allow for another method on a known path. A query string is ignored.
 */
export function matchStatusRoute(method: string | undefined, target: string | undefined): StatusRoute | ErrorReply {
  const path = pathOf(target ?? '');
  if (path === undefined) return { status: 400, body: { status: 'bad request', reason: 'malformed URL' } };
  const route = ROUTES.find((name) => path === `/${name}`);
  if (route === undefined) return { status: 404, body: { status: 'not found', routes: STATUS_PATHS } };
  if (!(ALLOWED_METHODS as readonly string[]).includes(method ?? '')) {
    return {
      status: 405,
      body: { status: 'method not allowed', allow: [...ALLOWED_METHODS] },
      headers: { allow: ALLOWED_METHODS.join(', ') },
    };
  }
  return route;
}

/** The path of an origin-form (`/status?x`) or absolute-form (`http://host/status`) target; undefined otherwise. */
function pathOf(target: string): string | undefined {
  if (/^https?:\/\//i.test(target)) {
    try {
      return new URL(target).pathname;
    } catch {
      return undefined;
    }
  }
  if (!target.startsWith('/')) return undefined;
  const end = target.search(/[?#]/);
  return end >= 0 ? target.slice(0, end) : target;
}
