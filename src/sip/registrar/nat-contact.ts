import { isIPv6 } from 'node:net';
import { sameHost, type SipRequest, type SipUri } from '../message/index.js';

/** Where the REGISTER really came from: the socket's peer, or the client a PROXY protocol header named. */
export interface RegisterClient {
  readonly address: string;
  readonly port: number;
}

/**
 * Contact correction, as Flexisip's NatHelper does it: a device behind NAT writes the address it sees (a private
 * one) in its Via and Contact, but only the address its REGISTER came from (the NAT's mapping, or the client of a
 * PROXY protocol header) reaches it. When the top Via's host is not that address, a Contact on the Via's host is
 * stored with the client's address and port instead. That is what the operators' records show
 * (`sip:40004*01@79.146.86.86:33030;transport=tls`), what a Flexisip node reading the binding sends to, and what
 * `clusterctl registrations` shows. A Contact on another host (a third party's, a name) is kept as written.
 * Returns undefined when nothing needs correcting.
 */
export function contactCorrection(
  request: SipRequest,
  client: RegisterClient | undefined,
): ((uri: SipUri) => SipUri) | undefined {
  if (client === undefined) return undefined;
  const sentBy = request.topVia().hostname;
  if (sameHost(sentBy, client.address)) return undefined;
  const host = isIPv6(client.address) ? `[${client.address}]` : client.address;
  return (uri) => (sameHost(uri.hostname, sentBy) ? uri.with({ host, port: client.port }) : uri);
}
