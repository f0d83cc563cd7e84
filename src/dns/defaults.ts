/**
 * The embedded DNS server's defaults (the definition's optional `dns` block). TTLs are short so that resolvers
 * follow a failover within seconds; the SRV ports are the ones Linphone and the STG edge use.
 */
export const DNS_DEFAULTS = {
  /** TTL of every record served, and the negative-caching TTL in the SOA, seconds. */
  ttlS: 10,
  /** The port the server listens on (UDP and TCP). */
  port: 53,
  /** The ports the SRV records publish: `_sips._tcp` (TLS) and `_sip._tcp` / `_sip._udp`. */
  ports: { sips: 5554, sip: 5060 },
  /** In nodes mode, a node whose resource of this id is not started is left out of the answers. */
  healthResource: 'sip-proxy',
} as const;

/** The largest UDP answer this server sends (and advertises in EDNS): the DNS flag day 2020 value. */
export const MAX_UDP_PAYLOAD = 1232;
