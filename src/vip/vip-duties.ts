import { performance } from 'node:perf_hooks';
import { KERNEL_LIFETIME_SLACK_MS } from '../config/defaults.js';
import type { ClusterDefinition, ResourceDefinition } from '../config/schema.js';
import type { Election } from '../cluster/election.js';
import { isVip } from '../guard/leadership-record.js';
import type { Logger } from '../log.js';
import { BUNDLED_AGENTS_DIR } from '../resources/driver.js';
import { AddressLifetime } from './address-lifetime.js';
import { Announcer } from './announcer.js';
import { heldAddress, withVipLifetimes } from './vip-resources.js';

/** The kernel may drop an address a little before its lifetime (within 20 ms, measured). */
const EXPIRY_TOLERANCE_MS = 50;

export interface VipDutiesOptions {
  node: string;
  stateDir: string;
  election: Election;
  definition: () => ClusterDefinition;
  /** Ids of the resources running here now. */
  running: () => Set<string>;
  log: Logger;
}

/**
 * What the leader does for its VIPs beyond start and stop (ARCHITECTURE.md "Floating VIP"): announce them, and keep
 * their kernel lifetime short-lived but refreshed while — and only while — its leadership bound allows.
 */
export class VipDuties {
  private readonly lifetime: AddressLifetime;
  /** Monotonic time of the last lifetime given to the VIPs (a start or a refresh). */
  private lastRefreshAt = -Infinity;
  private readonly announcer: Announcer;

  constructor(private readonly options: VipDutiesOptions) {
    const { node, stateDir, election, log } = options;
    this.lifetime = new AddressLifetime(log);
    this.announcer = new Announcer({
      assertLeading: () => election.assertLeading(),
      context: (term) => ({ node, term, stateDir, resourceAgentsDir: BUNDLED_AGENTS_DIR, log }),
      log,
    });
  }

  started(resource: ResourceDefinition): void {
    if (!isVip(resource)) return;
    this.lastRefreshAt = performance.now();
    if (resource.placement === 'leader') this.announcer.started(resource);
  }

  /**
   * Whether the bound leaves room to add a VIP now: its lifetime plus the kernel's slack must end before the local
   * leadership bound does, as for a refresh. Adding it later could leave it to outlive the lease.
   */
  roomToAdd(): boolean {
    const leadership = this.options.election.leading();
    const lifetimeS = this.options.definition().timings.kernelLifetimeS;
    return !!leadership && leadership.until - performance.now() > lifetimeS * 1000 + KERNEL_LIFETIME_SLACK_MS;
  }

  /** A VIP found gone when no refresh could keep it: its lifetime ran out by design, not by a failure. */
  expired(resource: ResourceDefinition): boolean {
    const lifetimeMs = this.options.definition().timings.kernelLifetimeS * 1000;
    return isVip(resource) && performance.now() - this.lastRefreshAt >= lifetimeMs - EXPIRY_TOLERANCE_MS;
  }

  /** No new announcement once its stop begins (the agent's stop also ends a run under way). */
  stopping(resource: ResourceDefinition): void {
    if (isVip(resource)) this.announcer.cancel(resource);
  }

  /** Leadership is ending: no announcement may follow. */
  silence(): void {
    this.announcer.cancelAll();
  }

  /**
   * After a renew that reached a majority: extends the kernel lifetime of the VIPs running here, only while the
   * local bound leaves more than that lifetime plus the kernel's slack. If this agent then dies or freezes, the
   * kernel drops the address before any other node may take the lease.
   */
  refreshLifetimes(): void {
    const leadership = this.options.election.leading();
    const definition = withVipLifetimes(this.options.definition());
    const lifetimeS = definition.timings.kernelLifetimeS;
    if (!leadership || leadership.until - performance.now() <= lifetimeS * 1000 + KERNEL_LIFETIME_SLACK_MS) return;
    const running = this.options.running();
    const held = definition.resources
      .filter((resource) => isVip(resource) && running.has(resource.id))
      .flatMap((resource) => heldAddress(resource) ?? []);
    this.lifetime.refresh(held, lifetimeS);
    if (held.length > 0) this.lastRefreshAt = performance.now();
  }

  close(): void {
    this.announcer.cancelAll();
    this.lifetime.close();
  }
}
