import { parseDefinition } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { appendEvent } from '../cluster/events.js';
import { pendingCommand, type CommandResult, type LeaderCommand } from '../cluster/commands.js';
import type { Election } from '../cluster/election.js';
import type { LeaderJournal } from '../cluster/journal.js';
import { samePlacement, type PlacementDocument } from '../cluster/placement.js';
import { schedule } from '../scheduler/schedule.js';
import type { Placement } from '../scheduler/types.js';
import type { ControlPlane } from '../store/control-plane.js';
import type { ClusterSnapshot } from './cluster-snapshot.js';
import type { DefinitionState } from './definition-state.js';
import { ExternalDnsSync } from '../dns/external-sync.js';
import { DnsPublisher } from '../dns/publisher.js';

export interface LeaderDutiesOptions {
  node: string;
  plane: ControlPlane;
  election: Election;
  journal: LeaderJournal;
  definition: DefinitionState;
  log: Logger;
  /** The TSIG key file of `dns.external` updates (the node file's dnsExternalKeyFile), if any. */
  externalDnsKeyFile: string | undefined;
  /** Hands leadership to `to`: stops leader-only resources, releases the lease naming it. Returns the sentence. */
  handOver: (to: string, reason: string, kind: 'switchover' | 'handover') => Promise<string>;
  /** Whether `id` could lead now (online, fresh heartbeat, not standby, not refusing); else why not. */
  canLead: (id: string, snapshot: ClusterSnapshot) => string | null;
  /** The first node in node order that could lead, other than this one. */
  successor: (snapshot: ClusterSnapshot) => string | undefined;
}

/**
 * What the leader does on each tick after its renew reached a majority: answer the operator's command, run the
 * scheduler, publish the placement (fenced by its term), and hand over when it may no longer lead.
 */
export class LeaderDuties {
  /** The placement this leader last wrote (the snapshot shows it only from the next tick on). */
  published: { version: number; document: PlacementDocument } | undefined;
  /** The embedded DNS record set, published with this leader's term (src/dns/publisher.ts). */
  private readonly dns: DnsPublisher;
  /** The service name on an external DNS server (RFC 2136), kept equal to the published records while leading. */
  private readonly externalDns: ExternalDnsSync;

  constructor(private readonly options: LeaderDutiesOptions) {
    this.dns = new DnsPublisher(options.plane, options.node);
    this.externalDns = new ExternalDnsSync(
      options.plane,
      options.node,
      options.externalDnsKeyFile,
      options.log.child({ component: 'dns-external' }),
    );
  }

  /** Leadership is over (or never was): work that outlives a tick stops here. */
  ended(): void {
    this.externalDns.stop();
  }

  async run(term: number, snapshot: ClusterSnapshot): Promise<string | undefined> {
    const command = await pendingCommand(this.options.plane);
    if (command) {
      const handedOver = await this.execute(term, command, snapshot);
      if (handedOver) return handedOver;
    }
    if (!snapshot.fresh) return undefined; // never schedule from a partial picture
    const output = schedule({
      definition: this.options.definition.definition,
      leader: this.options.node,
      nodes: snapshot.nodes.map((node) => ({
        id: node.id,
        online: node.state !== 'offline',
        standby: snapshot.intent.standby.includes(node.id),
      })),
      maintenance: snapshot.intent.maintenance,
      unmanaged: snapshot.intent.unmanaged,
      failures: snapshot.failures,
      current: currentPlacement(snapshot),
      now: Date.now(),
    });
    if (output.handover?.to) return this.options.handOver(output.handover.to, output.handover.reason, 'handover');
    const dns = await this.dns.publish(term, snapshot.nodes, this.options.definition.definition, () =>
      this.options.journal.record(this.options.election.assertLeading(), 'write:dns'),
    );
    this.externalDns.sync(term, this.dns.current(term), this.options.definition.definition);
    const document: PlacementDocument = { ...output, term, leader: this.options.node };
    if (!samePlacement(snapshot.placement?.document, document)) {
      const version = (snapshot.placement?.version ?? 0) + 1;
      this.options.journal.record(this.options.election.assertLeading(), 'write:placement');
      await this.options.plane.fencedWrite(this.options.plane.keys.placement, term, version, document);
      this.published = { version, document };
      return [`published placement version ${version}`, dns].filter(Boolean).join('; ');
    }
    return dns;
  }

  /** Executes a command once; returns a sentence when it ended this node's leadership. */
  private async execute(term: number, command: LeaderCommand, snapshot: ClusterSnapshot): Promise<string | undefined> {
    if (command.kind === 'config-apply') {
      await this.answer(term, { id: command.id, ...(await this.applyDefinition(term, command.definition)) });
      return undefined;
    }
    const target = command.to ?? this.options.successor(snapshot);
    const refusal = snapshot.intent.maintenance
      ? 'maintenance is on (nothing is moved)'
      : target === undefined
        ? 'no other node can lead now (online, not standby, eligible)'
        : target === this.options.node
          ? `${target} already leads`
          : this.options.canLead(target, snapshot);
    if (refusal || !target) {
      await this.answer(term, { id: command.id, ok: false, message: `switchover refused: ${refusal}` });
      return undefined;
    }
    await this.answer(term, {
      id: command.id,
      ok: true,
      message: `switching over from ${this.options.node} to ${target}`,
    });
    return this.options.handOver(target, `switchover requested by the operator`, 'switchover');
  }

  private async applyDefinition(term: number, raw: unknown): Promise<{ ok: boolean; message: string }> {
    const current = this.options.definition.definition;
    try {
      const definition = parseDefinition(raw, 'the applied definition');
      if (definition.cluster !== current.cluster) {
        return {
          ok: false,
          message: `the definition is for cluster "${definition.cluster}", this is "${current.cluster}"`,
        };
      }
      const stored = await this.options.plane.readVersioned(this.options.plane.keys.definition);
      const version = (stored?.version ?? 0) + 1;
      this.options.journal.record(this.options.election.assertLeading(), 'write:definition');
      await this.options.plane.fencedWrite(this.options.plane.keys.definition, term, version, definition);
      return { ok: true, message: `definition version ${version} applied in term ${term}` };
    } catch (error) {
      if (error instanceof ConfigError) return { ok: false, message: error.message };
      throw error;
    }
  }

  private async answer(term: number, result: CommandResult): Promise<void> {
    this.options.log.info({ command: result }, `command ${result.id}: ${result.message}`);
    appendEvent(this.options.plane, { node: this.options.node, kind: 'command', message: result.message });
    this.options.journal.record(this.options.election.assertLeading(), 'write:command-result');
    await this.options.plane.fencedWrite(this.options.plane.keys.commandResult, term, Date.now(), result);
  }
}

/** Where resources run now, from the nodes' heartbeats. */
function currentPlacement(snapshot: ClusterSnapshot): Placement {
  const current: Placement = {};
  for (const node of snapshot.nodes) {
    if (node.state === 'offline') continue;
    for (const resource of node.heartbeat?.resources ?? []) {
      if (resource.state !== 'started') continue;
      (current[resource.id] ??= []).push(node.id);
    }
  }
  for (const nodes of Object.values(current)) nodes.sort();
  return current;
}
