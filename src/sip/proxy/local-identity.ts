import { isIPv6 } from 'node:net';
import { expandIPv6, SipUri, type Uri, type Via } from '../message/index.js';
import type { ListenSpec, TransportName } from '../transport/index.js';

/**
 * Who "we" are, for routing decisions: the addresses and ports we listen on, other names of this proxy (aliases:
 * the VIP, the node's host name), this node's `fs-proxy-id`, and the domains we serve. A Route or a Request-URI
 * naming us is ours to consume; a Via with our sent-by was written by us (loop detection).
 */
export class LocalIdentity {
  private readonly endpoints = new Set<string>();
  private readonly aliasHosts = new Map<string, number | undefined>();
  private readonly domains: ReadonlySet<string>;
  /** The address families we listen on (a name resolving to both is sent to over one of these). */
  readonly families: ReadonlySet<4 | 6>;

  constructor(
    readonly listeners: readonly ListenSpec[],
    aliases: readonly string[],
    domains: readonly string[],
    private readonly proxyId?: string,
  ) {
    for (const listener of listeners) this.endpoints.add(endpointKey(listener.address, listener.port));
    for (const alias of aliases) {
      const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(alias);
      if (!match) continue;
      this.aliasHosts.set(normalHost(match[1]!), match[2] === undefined ? undefined : Number(match[2]));
    }
    this.domains = new Set(domains.map((domain) => domain.toLowerCase()));
    this.families = new Set(listeners.map((listener) => (isIPv6(listener.address) ? 6 : 4)));
  }

  /** The first configured domain: the AOR domain of a request for a user "at" our own address. */
  get mainDomain(): string | undefined {
    return this.domains.values().next().value;
  }

  isLocalDomain(host: string): boolean {
    return this.domains.has(host.toLowerCase());
  }

  /**
   * True when the URI designates this proxy: one of our addresses and ports (the port defaulting to 5060, 5061 for
   * sips:), an alias, or our fs-proxy-id. Domains are not "us" here: a Route to the domain would be resolved by DNS.
   */
  isLocalUri(uri: Uri): boolean {
    if (!(uri instanceof SipUri)) return false;
    if (this.proxyId !== undefined && uri.param('fs-proxy-id') === this.proxyId) return true;
    const host = normalHost(uri.hostname);
    const port = uri.port ?? (uri.scheme === 'sips' || uri.transport === 'tls' ? 5061 : 5060);
    if (this.endpoints.has(endpointKey(host, port))) return true;
    if (!this.aliasHosts.has(host)) return false;
    const aliasPort = this.aliasHosts.get(host);
    return aliasPort === undefined || uri.port === undefined || aliasPort === uri.port;
  }

  /**
   * True when the URI is one of our own Path entries: it carries this node's `fs-proxy-id` (the registrar's Path,
   * `registrar.path`). Another node routing to a device registered here sends the request through it.
   */
  isOwnPathUri(uri: Uri): boolean {
    return this.proxyId !== undefined && uri instanceof SipUri && uri.param('fs-proxy-id') === this.proxyId;
  }

  /**
   * Adds an address and port that reach us (the HAProxy frontend a client connected to, named in our Record-Route):
   * a Route there is ours when it comes back.
   */
  learn(address: string, port: number): void {
    this.endpoints.add(endpointKey(address, port));
  }

  /** True when a Via's sent-by is one of our listeners (we wrote it). */
  isOwnVia(via: Via): boolean {
    return this.endpoints.has(endpointKey(via.hostname, via.port ?? 5060));
  }

  /**
   * The listener to name in our Via and Record-Route for a message leaving over `transport` to an address of this
   * family: one of that transport and family, else any of the family (a stream we opened answers on itself anyway).
   */
  listenerFor(transport: TransportName, family: 4 | 6): ListenSpec | undefined {
    const sameFamily = this.listeners.filter((l) => isIPv6(l.address) === (family === 6));
    return sameFamily.find((l) => l.transport === transport) ?? sameFamily[0] ?? this.listeners[0];
  }
}

function normalHost(host: string): string {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  return isIPv6(bare) ? expandIPv6(bare) : bare.toLowerCase();
}

function endpointKey(host: string, port: number): string {
  return `${normalHost(host)}|${port}`;
}
