import { sameHost, type SipMessage, type Via } from '../message/index.js';
import type { Destination, MessageSource } from './types.js';

/**
 * RFC 3261 18.2.1 and RFC 3581: on a request's top Via, add `received` with the source address when the sent-by
 * host is not that address, and when the client asked with a bare `rport`, fill it in with the source port (and
 * always add `received` then). Responses then find their way back through NAT.
 */
export function applyReceived(request: SipMessage, source: MessageSource): void {
  const via = request.topVia();
  const wantsRport = via.rport === null;
  if (!wantsRport && sameHost(via.hostname, source.address)) return;
  let updated = via.withParam('received', source.address);
  if (wantsRport) updated = updated.withParam('rport', String(source.port));
  request.setTopVia(updated);
}

/**
 * Where a response goes (RFC 3261 18.2.2, RFC 3581 4): over a stream, on the connection the request came on, else to
 * the `received` address and the sent-by port (TLS: a new connection there; WebSocket: nowhere, RFC 7118 5: only
 * the flow leads back to a browser); over UDP, to `received` (or the sent-by host) and `rport` (or the sent-by port),
 * from the socket the request reached. `via` is the response's top Via, `source` the request's source.
 */
export function responseDestination(via: Via, source: MessageSource): Destination {
  const address = via.received ?? via.hostname;
  if (source.transport !== 'udp') {
    const transport = source.transport;
    const connection = source.connectionId === undefined ? {} : { connectionId: source.connectionId };
    const onlyFlow = transport === 'ws' || transport === 'wss' ? { connectionOnly: true } : {};
    const port = via.port ?? (transport === 'tls' || transport === 'wss' ? 5061 : 5060);
    return { transport, address, port, local: source.local, ...connection, ...onlyFlow };
  }
  const rport = via.rport;
  const port = typeof rport === 'number' ? rport : (via.port ?? 5060);
  return { transport: 'udp', address, port, local: source.local };
}
