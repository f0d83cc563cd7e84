import type { AgentView, ResourceView } from '../../../src/http/agent-view.js';

/** An AgentView whose answers a test sets directly: no Redis, no loop. */
export class FakeView implements AgentView {
  node = 'stg1';
  majority = true;
  leading: number | undefined = 7;
  term = 7;
  leaseMs: number | undefined = 3_250;
  lagMs = 12;
  list: ResourceView[] = [
    resource({ id: 'vip', state: 'started' }),
    resource({ id: 'dummy', state: 'stopped', wanted: false }),
    resource({
      id: 'sip-proxy',
      placement: 'every-node',
      state: 'failed',
      failcount: 3,
      lastFailure: {
        operation: 'monitor',
        rc: 7,
        rcName: 'not running',
        reason: 'pid 4242 gone',
        at: '2025-01-01T00:00:00.000Z',
      },
    }),
    resource({ id: 'dns', state: 'unknown' }),
  ];
  seesMajority(): boolean {
    return this.majority;
  }
  leaderTerm(): number | undefined {
    return this.leading;
  }
  termSeen(): number {
    return this.term;
  }
  leaseLeftMs(): number | undefined {
    return this.leaseMs;
  }
  resources(): ResourceView[] {
    return this.list;
  }
  eventLoopLagMs(): number {
    return this.lagMs;
  }
  /** Not leading: the state of a standby that sees term `term` led by someone else. */
  standby(): this {
    this.leading = undefined;
    this.leaseMs = undefined;
    return this;
  }
}

export function resource(fields: Partial<ResourceView> & Pick<ResourceView, 'id' | 'state'>): ResourceView {
  return {
    placement: 'leader',
    wanted: true,
    failcount: 0,
    migrationThreshold: 3,
    lastFailure: undefined,
    ...fields,
  };
}
