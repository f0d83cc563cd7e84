import type { ResourceDefinition } from '../config/schema.js';
import type { Logger } from '../log.js';
import { OcfDriver } from '../resources/ocf-driver.js';
import type { ResourceContext } from '../resources/types.js';

/** Keepalived's garp_master_refresh / IPaddr2's refresh: neighbours that missed the burst learn it later. */
const REFRESH_EVERY_MS = 10_000;

export interface AnnouncerOptions {
  /** The term to act with, checked right before each send; throws when this node no longer leads. */
  assertLeading: () => number;
  context: (term: number) => ResourceContext;
  log: Logger;
}

/**
 * Gratuitous ARPs (or unsolicited neighbour advertisements) for the VIPs this node holds: one-shot sends by the
 * lease holder, each after a bound check, never a free-running sender that could outlive the agent. A burst of
 * `arp_count` at `arp_interval_ms` after the start, then one every 10 s while held.
 */
export class Announcer {
  private readonly timers = new Map<string, NodeJS.Timeout[]>();

  constructor(private readonly options: AnnouncerOptions) {}

  started(resource: ResourceDefinition): void {
    this.cancel(resource);
    const count = Number(resource.params['arp_count'] ?? 5);
    const intervalMs = Number(resource.params['arp_interval_ms'] ?? 200);
    const timers = Array.from({ length: count }, (_, index) =>
      setTimeout(() => void this.send(resource), index * intervalMs),
    );
    const refresh = setInterval(() => void this.send(resource), REFRESH_EVERY_MS);
    this.timers.set(resource.id, [...timers, refresh]);
  }

  cancel(resource: ResourceDefinition): void {
    for (const timer of this.timers.get(resource.id) ?? []) clearTimeout(timer);
    this.timers.delete(resource.id);
  }

  cancelAll(): void {
    for (const timers of this.timers.values()) for (const timer of timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async send(resource: ResourceDefinition): Promise<void> {
    let term: number;
    try {
      term = this.options.assertLeading();
    } catch {
      this.cancel(resource); // leadership ended: no announcement may follow
      return;
    }
    const timers = this.timers.get(resource.id);
    const result = await new OcfDriver(resource).announce(this.options.context(term));
    // A run ended by the resource's stop (or refused because of it) is no failure: it was cancelled meanwhile.
    if (result.rc !== 0 && this.timers.get(resource.id) === timers) {
      this.options.log.warn(
        { resource: resource.id, result },
        `announce of ${resource.id} failed: ${result.rcName} ${result.reason}`,
      );
    }
  }
}
