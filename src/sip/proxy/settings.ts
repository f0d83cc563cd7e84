import type { TransportName } from '../transport/index.js';

/** One PBX (Asterisk) the proxy sends calls to; tried in the configured order, the next one on failure. */
export interface PbxTarget {
  readonly transport: TransportName;
  /** An IP address: configured targets need no DNS (RFC 3263 section 4 with a numeric host and an explicit port). */
  readonly address: string;
  readonly port: number;
}

/** What the proxy core needs from the configuration (`proxy:` in the proxy's YAML file). */
export interface ProxySettings {
  /** The SIP domains this proxy serves (lower case): a request for a user of one is for a registered device. */
  readonly domains: readonly string[];
  /** Put a Record-Route (with `lr`) in dialog-creating requests, so that in-dialog requests come through us. */
  readonly recordRoute: boolean;
  readonly pbx: {
    readonly targets: readonly PbxTarget[];
    /**
     * With another target left, a target that has not answered at all (not even 100) after this long is given up
     * for the next one, rather than after Timer B (32 s).
     */
    readonly failoverAfterMs: number;
    /** A target that failed (503, no answer, transport error) is tried last for this long. */
    readonly quarantineMs: number;
  };
  /**
   * A request from a device for a user of our domains that has no live contact goes to the PBX (which knows its
   * extensions) when true; it is answered 480 when false. From the PBX itself it is always 480.
   */
  readonly localMissesToPbx: boolean;
  /** Timer C (RFC 3261 16.6 step 11): an INVITE branch with no final answer after this long is cancelled. */
  readonly timerCMs: number;
  /** Other host[:port] names of this proxy (the VIP, the node's name): a Route or Request-URI there is us. */
  readonly aliases: readonly string[];
  /** This node's `fs-proxy-id` (the registrar's Path entries carry it): a Path entry with it is us. */
  readonly proxyId?: string | undefined;
}

export const DEFAULT_PROXY_SETTINGS: ProxySettings = Object.freeze({
  domains: Object.freeze([]) as readonly string[],
  recordRoute: true,
  pbx: Object.freeze({
    targets: Object.freeze([]) as readonly PbxTarget[],
    failoverAfterMs: 4000,
    quarantineMs: 30_000,
  }),
  localMissesToPbx: true,
  timerCMs: 180_000,
  aliases: Object.freeze([]) as readonly string[],
});
