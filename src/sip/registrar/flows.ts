import { createHash } from 'node:crypto';
import type { MessageSource } from '../transport/index.js';

/** How many flows are remembered at most; beyond it the least recently seen are forgotten. */
const DEFAULT_MAX_FLOWS = 250_000;

/**
 * The flows REGISTERs arrived on, by their fs-conn-id, so that the proxy on this node finds how to reach a device
 * (Flexisip keeps the same link: fs-conn-id names the transport the device registered over).
 *
 * - A stream (tcp, tls, ws, wss): the transport's connection id; forgotten when the connection closes.
 * - UDP has no connection: the id is 16 hex digits of a digest of (our listener, the device's address and port), so
 *   the same device behind the same NAT binding keeps the same id across REGISTERs and restarts of the proxy, and a
 *   new NAT binding is a new flow. The source is remembered because a device behind NAT is reachable only at the
 *   address its REGISTER came from, not at the private address in its Contact.
 *
 * Only this process's flows are here; a flow id from another node means nothing on this one.
 */
export class FlowTable {
  private readonly flows = new Map<string, MessageSource>();

  constructor(private readonly maxFlows = DEFAULT_MAX_FLOWS) {}

  /** The fs-conn-id of a request's source. */
  idOf(source: MessageSource): string {
    return source.connectionId ?? udpFlowId(source);
  }

  /** Remembers the source of a flow that a binding now names. */
  remember(id: string, source: MessageSource): void {
    // Delete first so that the entry moves to the end: the Map's order is then least recently seen first.
    this.flows.delete(id);
    this.flows.set(id, source);
    if (this.flows.size > this.maxFlows) {
      const oldest = this.flows.keys().next().value;
      if (oldest !== undefined) this.flows.delete(oldest);
    }
  }

  /** The source the flow was last seen from, when this node holds it. */
  get(id: string): MessageSource | undefined {
    return this.flows.get(id);
  }

  /** A connection closed: its id will not come back. */
  forget(id: string): void {
    this.flows.delete(id);
  }

  get size(): number {
    return this.flows.size;
  }
}

export function udpFlowId(source: MessageSource): string {
  const seed = `${source.transport} ${source.local.address} ${source.local.port} ${source.address} ${source.port}`;
  return createHash('sha1').update(seed).digest('hex').slice(0, 16);
}
