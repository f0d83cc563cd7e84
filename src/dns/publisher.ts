import type { ClusterDefinition } from '../config/schema.js';
import type { NodeView } from '../cluster/membership.js';
import type { ControlPlane } from '../store/control-plane.js';
import { buildRecordSet } from './build-records.js';
import { contentOf, sameContent, type PublishedRecordSet, type RecordContent } from './record-set.js';

/** What the leader last published (or found published when its term began). */
interface Known {
  term: number;
  version: number;
  content: RecordContent;
}

/**
 * The leader's side of the embedded DNS: on each tick, the record set computed from the cluster's state is written
 * to the control plane, fenced by the leader's term, when it differs from the last one or when the term is new (a
 * set always names the term that published it); then every DNS server is signalled on the DNS channel.
 */
export class DnsPublisher {
  private known: Known | undefined;

  /** What this leader last published under `term` (or found published, unchanged), if anything. */
  current(term: number): RecordContent | undefined {
    return this.known?.term === term ? this.known.content : undefined;
  }

  constructor(
    private readonly plane: ControlPlane,
    private readonly node: string,
  ) {}

  /**
   * Publishes when needed; returns a sentence when it did. `beforeWrite` runs right before the write: it checks
   * the leadership bound and journals the write (it throws when leadership has ended: then nothing is written).
   */
  async publish(
    term: number,
    nodes: readonly NodeView[],
    definition: ClusterDefinition,
    beforeWrite: () => void,
  ): Promise<string | undefined> {
    if (this.known?.term !== term) {
      // A new term: start from what a majority holds (its version is the one to go above).
      const stored = await this.plane.readVersioned<PublishedRecordSet>(this.plane.keys.dnsRecords);
      this.known = stored
        ? { term: stored.term, version: stored.version, content: contentOf(stored.value) }
        : undefined;
    }
    let content: RecordContent;
    try {
      content = buildRecordSet({
        definition,
        leader: this.node,
        nodes: nodes.map((node) => ({
          id: node.id,
          state: node.state,
          address: node.heartbeat?.address,
          resources: node.heartbeat?.resources,
        })),
        previous: this.known?.content,
      });
    } catch (error) {
      // A bug must not stop the leader's other duties (placement): say it in the tick's sentence instead.
      return `DNS records not built, please report it as a bug: ${(error as Error).message}`;
    }
    if (this.known && this.known.term === term && sameContent(this.known.content, content)) return undefined;
    const version = (this.known?.version ?? 0) + 1;
    const document: PublishedRecordSet = { ...content, leader: this.node, publishedAt: new Date().toISOString() };
    beforeWrite();
    const result = await this.plane.fencedWrite(this.plane.keys.dnsRecords, term, version, document);
    if (result.written < this.plane.majority) {
      // Refused (a newer term exists) or already there: re-read at the next tick rather than guess.
      this.known = undefined;
      return `DNS records version ${version} not published (written on ${result.written}/${this.plane.total} members)`;
    }
    this.known = { term, version, content };
    // Servers re-read on this signal at once; a lost message costs them one periodic re-read.
    void this.plane.onAll((member) => member.client.publish(this.plane.keys.dnsChannel, `${term}:${version}`));
    const answers = content.mode === 'vip' ? `the VIP ${content.vip}` : content.answering.join(', ') || 'no node';
    return `published DNS records version ${version} (${content.mode} mode: ${answers})`;
  }
}
