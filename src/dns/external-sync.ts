import type { ClusterDefinition } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { ControlPlane } from '../store/control-plane.js';
import type { ExternalDnsReport } from './external-report.js';
import type { RecordContent } from './record-set.js';
import { ExternalZoneUpdater, parseExternalDnsConfig, type DesiredRecords } from './external/index.js';

/** How often the leader refreshes its updater's state in the control plane, and how long a copy lives. */
const STATUS_EVERY_MS = 1000;
const EXTERNAL_STATUS_TTL_MS = 5000;

/** The service name's addresses as the published records say: the VIP, or the answering nodes. */
export function desiredRecords(content: RecordContent): DesiredRecords {
  const addresses =
    content.mode === 'vip'
      ? [content.vip ?? '']
      : content.answering.map((id) => content.nodes.find((node) => node.id === id)?.address ?? '');
  const present = addresses.filter(Boolean);
  return {
    name: content.serviceName,
    ttlS: content.ttlS,
    a: present.filter((address) => !address.includes(':')),
    aaaa: present.filter((address) => address.includes(':')),
  };
}

/**
 * The leader's side of `dns.external` (ARCHITECTURE.md "Embedded DNS"): while this node leads, one updater keeps
 * the external server's records for the service name equal to what the leader published, under its term; its
 * state goes to the control plane so any clusterctl shows it. When leadership ends the updater is closed: the next
 * leader's updater takes over, and the prerequisites of its updates keep a late one of ours from winning.
 */
export class ExternalDnsSync {
  private updater: ExternalZoneUpdater | undefined;
  private configKey: string | undefined;
  private problem: string | undefined;
  private lastReportAt = 0;

  constructor(
    private readonly plane: ControlPlane,
    private readonly node: string,
    private readonly keyFile: string | undefined,
    private readonly log: Logger,
  ) {}

  /** Called on every leader tick with the records published under `term` (undefined: none yet this term). */
  sync(term: number, content: RecordContent | undefined, definition: ClusterDefinition): void {
    const block = definition.dns.external;
    if (!block) return this.stop();
    if (this.ensureUpdater(block) && content) this.updater!.sync(desiredRecords(content), term);
    this.report(term);
  }

  /** Leadership ended (or external updates were switched off): no further update is sent from here. */
  stop(): void {
    if (!this.updater && !this.configKey) return;
    void this.updater?.close();
    this.updater = undefined;
    this.configKey = undefined;
    this.problem = undefined;
  }

  /** Keeps one updater per configuration (a changed block, by config apply, replaces it); true when there is one. */
  private ensureUpdater(block: NonNullable<ClusterDefinition['dns']['external']>): boolean {
    const key = JSON.stringify([block, this.keyFile]);
    if (key !== this.configKey) {
      this.stop();
      this.configKey = key;
      try {
        this.updater = new ExternalZoneUpdater(parseExternalDnsConfig(block, this.keyFile), this.log);
      } catch (error) {
        this.problem = (error as Error).message;
        this.log.error({ problem: this.problem }, `external DNS updates not started: ${this.problem}`);
      }
    }
    return this.updater !== undefined;
  }

  private report(term: number): void {
    const now = Date.now();
    if (now - this.lastReportAt < STATUS_EVERY_MS) return;
    this.lastReportAt = now;
    const report: ExternalDnsReport = {
      node: this.node,
      term,
      at: new Date(now).toISOString(),
      updater: this.updater?.status(),
      problem: this.problem,
    };
    const json = JSON.stringify(report);
    // Best effort: a lost copy only ages in clusterctl until the next one.
    void this.plane.onAll((member) =>
      member.client.set(this.plane.keys.dnsExternal, json, 'PX', EXTERNAL_STATUS_TTL_MS),
    );
  }
}
