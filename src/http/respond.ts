import type { IncomingMessage, ServerResponse } from 'node:http';

/*
 * What the agent's HTTP endpoint and the SIP proxy's status endpoint answer alike: bodies that are never cached,
 * HEAD without the body, and a listen failure in words an operator can act on.
 */

/** HEAD gets the same status and headers (Content-Length included) without the body. */
export function writeBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

export function writeJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  writeBody(req, res, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);
}

/** Why an HTTP server could not listen, in words (the address and port are the caller's to add). */
export function listenFailure(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return 'address already in use (another agent or service holds this port)';
    case 'EADDRNOTAVAIL':
      return 'address not available (not configured on any interface of this host)';
    case 'EACCES':
      return 'permission denied (ports below 1024 need privileges)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name does not resolve (${err.code})`;
    default:
      return err.message;
  }
}
