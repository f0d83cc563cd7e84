import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ClusterError } from '../../errors.js';
import { listenFailure, writeBody, writeJson } from '../../http/respond.js';
import type { Logger } from '../../log.js';
import { healthReply } from './health.js';
import type { SipProxyMetrics } from './metrics.js';
import { matchStatusRoute, STATUS_PATHS } from './routes.js';
import { statusSnapshot } from './snapshot.js';
import type { StatusSources } from './sources.js';

export interface StatusServer {
  /** The address and the port bound (the port the kernel chose when 0 was configured). */
  readonly endpoint: { readonly address: string; readonly port: number };
  /** Stops listening and drops open connections; answers given meanwhile say the proxy is stopping. */
  close(): Promise<void>;
}

/** The status endpoint could not bind its address. */
export class StatusListenError extends ClusterError {
  constructor(endpoint: string, reason: string, cause: unknown) {
    super('STG_ERR_SIP_STATUS_LISTEN', `SIP proxy status endpoint cannot listen on ${endpoint}: ${reason}`, {
      cause,
    });
  }
}

/**
 * Serves /metrics (Prometheus text), /status (JSON) and /health (JSON, 200 or 503) to the local agent, GET and HEAD.
 * Every answer is read from the proxy's memory (the data Redis PING aside, see DataStoreProbe); nothing a client
 * sends makes it throw. Resolves once listening; rejects with StatusListenError when the address cannot be bound.
 */
export async function startStatusServer(options: {
  readonly address: string;
  readonly port: number;
  readonly sources: StatusSources;
  readonly metrics: SipProxyMetrics;
  readonly log: Logger;
}): Promise<StatusServer> {
  const { address, sources, metrics, log } = options;
  let stopping = false;
  const server = createServer((req, res) => {
    answer(req, res).catch((err: unknown) => {
      log.warn({ err, http: { method: req.method, url: req.url?.slice(0, 200) } }, 'status request failed');
      if (res.headersSent) res.destroy();
      else writeJson(req, res, 500, { status: 'internal error' });
    });
  });
  // Requests are tiny and local: a client that dawdles is cut off long before Node's defaults.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.on('clientError', (_err: Error, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = matchStatusRoute(req.method, req.url);
    if (typeof route === 'object') return writeJson(req, res, route.status, route.body, route.headers);
    switch (route) {
      case 'metrics': {
        const { contentType, text } = await metrics.render();
        return writeBody(req, res, 200, contentType, text);
      }
      case 'status':
        return writeJson(req, res, 200, await statusSnapshot(sources));
      case 'health': {
        const reply = await healthReply(sources, stopping);
        return writeJson(req, res, reply.status, reply.body);
      }
    }
  }

  const endpoint = address.includes(':') ? `[${address}]:${options.port}` : `${address}:${options.port}`;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new StatusListenError(endpoint, listenFailure(err), err)),
    );
    server.listen({ host: address, port: options.port }, () => resolve());
  });
  server.removeAllListeners('error');
  server.on('error', (err) => log.warn({ err }, 'status endpoint error'));
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : options.port;
  const host = address.includes(':') ? `[${address}]` : address;
  log.info({ status: { address, port, paths: STATUS_PATHS } }, `status endpoint listening on http://${host}:${port}`);

  let closing: Promise<void> | undefined;
  return {
    endpoint: { address, port },
    close() {
      stopping = true;
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
