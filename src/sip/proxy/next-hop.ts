import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SipUri, type Uri } from '../message/index.js';
import type { Destination, TransportName } from '../transport/index.js';
import type { Flow } from './flow-token.js';

/** A next hop that cannot be used: the branch fails as with a transport error (RFC 3261 16.7: a 503). */
export class NextHopError extends Error {}

const TRANSPORTS = new Set<TransportName>(['udp', 'tcp', 'tls', 'ws', 'wss']);
const BOTH: ReadonlySet<4 | 6> = new Set([4, 6]);

/**
 * Where to send a request whose next hop is `uri` (the top Route, else the Request-URI), by the simple part of
 * RFC 3263: the transport from the `transport` parameter (sips: means TLS, otherwise UDP), the port from the URI
 * (5060, 5061 for TLS), the address from the host: an IP address as it is, a name through the system resolver
 * (A/AAAA, the first address of a family we listen on; no NAPTR or SRV: the hops we route to are configured
 * addresses, registered contacts and Record-Routes).
 */
export async function resolveNextHop(uri: Uri, families: ReadonlySet<4 | 6> = BOTH): Promise<Destination> {
  if (!(uri instanceof SipUri)) throw new NextHopError(`cannot send to a ${uri.toString().split(':')[0]} URI`);
  const transport = transportOf(uri);
  const port = uri.port ?? (transport === 'tls' || transport === 'wss' ? 5061 : 5060);
  const host = uri.hostname;
  if (isIP(host) !== 0) return { transport, address: host, port };
  let found: { address: string; family: number }[];
  try {
    found = await lookup(host, { all: true });
  } catch (error) {
    throw new NextHopError(`cannot resolve ${host}: ${(error as Error).message}`);
  }
  const usable = found.find((entry) => families.has(entry.family as 4 | 6));
  if (!usable) throw new NextHopError(`${host} has no address of a family we listen on`);
  return { transport, address: usable.address, port, ...(transport === 'tls' ? { serverName: host } : {}) };
}

function transportOf(uri: SipUri): TransportName {
  const param = uri.transport;
  if (uri.scheme === 'sips') return param === 'ws' || param === 'wss' ? 'wss' : 'tls';
  if (param === undefined) return 'udp';
  if (!TRANSPORTS.has(param as TransportName)) throw new NextHopError(`unknown transport ${param}`);
  return param as TransportName;
}

/**
 * The destination of a flow: its connection only for streams (a device behind NAT cannot be connected to), its
 * address and port for UDP.
 */
export function flowDestination(flow: Flow): Destination {
  if (flow.connectionId === undefined) return { transport: flow.transport, address: flow.address, port: flow.port };
  return {
    transport: flow.transport,
    address: flow.address,
    port: flow.port,
    connectionId: flow.connectionId,
    connectionOnly: true,
  };
}
