import { parseDefinition } from '../../../src/config/load.js';
import { schedule } from '../../../src/scheduler/schedule.js';
import type {
  FailureCount,
  Placement,
  SchedulerInput,
  SchedulerNode,
  SchedulerOutput,
} from '../../../src/scheduler/types.js';

/*
 * A tiny builder for scheduler fixtures, so each test reads as the situation it describes:
 *
 *   scenario().nodes('stg1', 'stg2').leader('stg1').resource('vip', { placement: 'leader' }).run()
 *
 * Nodes start online and not standby; resources start as every-node process resources with the schema's defaults
 * (migrationThreshold 3, failureTimeoutMs 600 s). The definition goes through the real schema, so a fixture cannot
 * hold a resource the configuration would refuse.
 */

/** The scheduler's `now` in every scenario (a fixed instant: tests never read the clock). */
export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

export interface ResourceOptions {
  placement?: 'leader' | 'every-node' | 'promotable';
  after?: string[];
  migrationThreshold?: number;
  failureTimeoutMs?: number;
}

export class Scenario {
  private nodeList: SchedulerNode[] = [];
  private leaderId: string | undefined;
  private resources: Record<string, unknown>[] = [];
  private failureList: FailureCount[] = [];
  private currentPlacement: Placement = {};
  private maintenanceOn = false;
  private unmanagedIds: string[] = [];

  /** Online, non-standby nodes, in the order the input lists them. */
  nodes(...ids: string[]): this {
    this.nodeList.push(...ids.map((id) => ({ id, online: true, standby: false })));
    return this;
  }

  offline(...ids: string[]): this {
    return this.change(ids, (node) => ({ ...node, online: false }));
  }

  standby(...ids: string[]): this {
    return this.change(ids, (node) => ({ ...node, standby: true }));
  }

  leader(id: string | undefined): this {
    this.leaderId = id;
    return this;
  }

  resource(id: string, options: ResourceOptions = {}): this {
    this.resources.push({ id, kind: 'process', command: ['/bin/true'], placement: 'every-node', ...options });
    return this;
  }

  /** `count` failures of `resource` on `node`, the last one `agoMs` before NOW. */
  failed(node: string, resource: string, count: number, agoMs = 60_000): this {
    this.failureList.push({ node, resource, count, lastFailureAt: NOW - agoMs });
    return this;
  }

  /** Where `resource` runs now, as observed. */
  current(resource: string, ...nodes: string[]): this {
    this.currentPlacement[resource] = nodes;
    return this;
  }

  maintenance(on = true): this {
    this.maintenanceOn = on;
    return this;
  }

  unmanaged(...ids: string[]): this {
    this.unmanagedIds.push(...ids);
    return this;
  }

  /** The same scenario with its nodes listed in another order (for determinism tests). */
  reorderNodes(order: (nodes: SchedulerNode[]) => SchedulerNode[]): this {
    this.nodeList = order([...this.nodeList]);
    return this;
  }

  input(): SchedulerInput {
    return {
      definition: parseDefinition(
        { cluster: 'test', service: { name: 'sips.example.es' }, resources: this.resources },
        'scheduler scenario',
      ),
      leader: this.leaderId,
      nodes: this.nodeList,
      maintenance: this.maintenanceOn,
      unmanaged: this.unmanagedIds,
      failures: this.failureList,
      current: this.currentPlacement,
      now: NOW,
    };
  }

  run(): SchedulerOutput {
    return schedule(this.input());
  }

  private change(ids: string[], update: (node: SchedulerNode) => SchedulerNode): this {
    for (const id of ids) {
      const index = this.nodeList.findIndex((node) => node.id === id);
      if (index < 0) throw new Error(`scenario: unknown node ${id} (add it with nodes() first)`);
      this.nodeList[index] = update(this.nodeList[index]!);
    }
    return this;
  }
}

export const scenario = () => new Scenario();

/**
 * The architecture's cluster: three nodes, stg1 leading; haproxy and sip-proxy on every node, the VIP on the leader
 * after haproxy.
 */
export function stgCluster(): Scenario {
  return scenario()
    .nodes('stg1', 'stg2', 'stg3')
    .leader('stg1')
    .resource('haproxy')
    .resource('sip-proxy')
    .resource('vip', { placement: 'leader', after: ['haproxy'] });
}
