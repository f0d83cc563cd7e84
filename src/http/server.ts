import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ClusterError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AgentView } from './agent-view.js';
import type { AgentMetrics } from './metrics.js';
import { healthReply, leaderReply, matchRoute, resourceReply, sipProxyHealthReply, type JsonReply } from './routes.js';
import { listenFailure, writeBody, writeJson } from './respond.js';
import { getFromProxy, mergeMetrics } from './sip-proxy-client.js';

export interface AgentHttpOptions {
  /** Address to bind (an IPv4 or IPv6 literal, or a host name). */
  address: string;
  /** 0 picks a free port; the one bound is in the result. */
  port: number;
  view: AgentView;
  metrics: AgentMetrics;
  log: Logger;
  /** This node's stg-sip-proxy status endpoint (`sipProxy.statusUrl`), when configured. */
  sipProxyStatusUrl?: string | undefined;
}

export interface AgentHttp {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops listening and drops open connections (health checks are short; none is worth waiting for). */
  close(): Promise<void>;
}

/** The agent's HTTP endpoint could not bind its address. */
export class HttpListenError extends ClusterError {
  constructor(
    readonly endpoint: string,
    reason: string,
    cause: unknown,
  ) {
    super('STG_ERR_HTTP_LISTEN', `agent HTTP endpoint cannot listen on ${endpoint}: ${reason}`, { cause });
  }
}

/**
 * Starts the agent's HTTP endpoint: `/health`, `/leader`, `/health/sip-proxy`, `/health/<resource>` and `/metrics`,
 * GET and HEAD. Every answer comes from the AgentView's memory, so a probe never waits on the lock members; only
 * `/health/sip-proxy` and `/metrics` ask this node's SIP proxy, bounded by SIP_PROXY_TIMEOUT_MS. A bad request gets
 * a 4xx; nothing a client sends makes this throw. Resolves once listening; rejects with HttpListenError when the
 * address cannot be bound.
 */
export async function startAgentHttp(options: AgentHttpOptions): Promise<AgentHttp> {
  const { address, port, view, metrics, sipProxyStatusUrl } = options;
  const log = options.log.child({ component: 'http' });
  const endpoint = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;

  const server = createServer((req, res) => {
    const started = performance.now();
    res.on('finish', () => {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      log.debug({ http: { ...requestLine(req), status: res.statusCode, ms } }, 'request');
    });
    answer(req, res, view, metrics, sipProxyStatusUrl).catch((err: unknown) => {
      log.warn({ err, http: requestLine(req) }, 'request failed');
      if (res.headersSent) res.destroy();
      else send(req, res, { status: 500, body: { status: 'internal error' } });
    });
  });
  // Health checks are tiny: a client that dawdles is cut off long before Node's defaults (60 s, 300 s).
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => onClientError(err, socket, log));

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(new HttpListenError(endpoint, listenFailure(err), err));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    try {
      server.listen({ host: address, port });
    } catch (err) {
      // A bad port (negative, > 65535) throws synchronously.
      server.off('error', onError);
      server.off('listening', onListening);
      reject(new HttpListenError(endpoint, err instanceof Error ? err.message : String(err), err));
    }
  });
  server.on('error', (err) => log.warn({ err }, 'HTTP server error'));

  const bound = server.address();
  const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
  log.info({ address, port: boundPort }, `HTTP endpoint listening on ${address}:${boundPort}`);

  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  view: AgentView,
  metrics: AgentMetrics,
  sipProxy: string | undefined,
) {
  const route = matchRoute(req.method, req.url);
  if (!('name' in route)) return send(req, res, route);
  switch (route.name) {
    case 'health':
      return send(req, res, healthReply(view));
    case 'leader':
      return send(req, res, leaderReply(view));
    case 'resource':
      return send(req, res, resourceReply(view, route.id));
    case 'sip-proxy': {
      const answer = sipProxy === undefined ? undefined : await getFromProxy(sipProxy, '/health');
      return send(req, res, sipProxyHealthReply(view, answer));
    }
    case 'metrics': {
      // The proxy's part is fetched alongside, bounded by its timeout: the agent's own metrics never wait longer.
      const [own, proxy] = await Promise.all([
        metrics.render(),
        sipProxy === undefined ? undefined : getFromProxy(sipProxy, '/metrics'),
      ]);
      const text = proxy === undefined ? own.text : mergeMetrics(own.text, proxy);
      return writeBody(req, res, 200, own.contentType, text);
    }
  }
}

function send(req: IncomingMessage, res: ServerResponse, reply: JsonReply): void {
  writeJson(req, res, reply.status, reply.body, reply.headers ?? {});
}

function requestLine(req: IncomingMessage): { method: string | undefined; url: string | undefined; peer?: string } {
  return { method: req.method, url: req.url?.slice(0, 200), peer: req.socket.remoteAddress };
}

/** A request Node's parser rejected (bad request line or headers, too large, too slow): answer it, never throw. */
function onClientError(err: NodeJS.ErrnoException, socket: Socket, log: Logger): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  log.warn({ err: { code: err.code, message: err.message }, http: { peer: socket.remoteAddress } }, 'bad request');
  const [status, text] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout']
        : [400, 'Bad Request'];
  const body = JSON.stringify({ status: text.toLowerCase() });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
