import { isIPv6 } from 'node:net';
import type { Logger } from '../../log.js';
import { SipUri, type SipRequest, type SipResponse } from '../message/index.js';
import type { Destination, TransportName } from '../transport/index.js';
import type { TransactionSender } from '../transaction/index.js';
import { otherFlow, type Flow } from './flow-token.js';
import { forwardedCopy, ourVia } from './forward.js';
import type { LocalIdentity } from './local-identity.js';
import { statelessBranch } from './loop-detection.js';
import { flowDestination, resolveNextHop } from './next-hop.js';

/**
 * What the proxy forwards without a transaction (RFC 3261 16.11): the ACK of a 2xx (end to end, a transaction of
 * its own: it follows the Route set our Record-Route put in the dialog), and responses that match no client
 * transaction (16.7: a 2xx retransmitted after our INVITE transaction ended, mostly). Failures are only logged:
 * nobody waits for an answer to either.
 */
export class StatelessForwarder {
  constructor(
    private readonly sender: TransactionSender & { hasConnection(connectionId: string): boolean },
    private readonly identity: LocalIdentity,
    private readonly log: Logger,
  ) {}

  /** An ACK after Route pre-processing (`flows`: those of our popped Routes; `arrival`: the flow it came on). */
  async forwardAck(request: SipRequest, flows: readonly Flow[], arrival: Flow): Promise<void> {
    const maxForwards = request.maxForwards();
    if (maxForwards === 0) return;
    const uri = request.uri();
    const other = otherFlow(flows, arrival, (id) => this.sender.hasConnection(id));
    if (!request.headers.has('route') && !other && uri instanceof SipUri && this.identity.isLocalUri(uri)) {
      this.log.debug({ sip: { callId: request.callId() } }, 'ACK for this proxy itself dropped');
      return;
    }
    const { copy, nextHop } = forwardedCopy(request, {});
    const resolved =
      other && !request.headers.has('route')
        ? flowDestination(other)
        : await resolveNextHop(nextHop, this.identity.families);
    const listener = this.identity.listenerFor(resolved.transport, isIPv6(resolved.address) ? 6 : 4);
    if (!listener) return;
    copy.prependVia(ourVia(listener, statelessBranch(request.topVia().branch, request)));
    const destination: Destination =
      resolved.transport === 'udp'
        ? { ...resolved, local: { address: listener.address, port: listener.port } }
        : resolved;
    await this.sender.send(copy, destination);
  }

  /** A response for no transaction of ours: our Via removed, sent to the next Via (RFC 3261 18.2.2). */
  async forwardResponse(response: SipResponse): Promise<void> {
    if (!this.identity.isOwnVia(response.topVia())) return;
    response.removeTopVia();
    if (!response.headers.has('via')) return;
    const via = response.topVia();
    const transport = via.transport.toLowerCase() as TransportName;
    const address = via.received ?? via.hostname;
    const rport = via.rport;
    const port = transport === 'udp' && typeof rport === 'number' ? rport : (via.port ?? 5060);
    await this.sender.send(response, { transport, address, port });
  }
}
