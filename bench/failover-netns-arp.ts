import { createInterface } from 'node:readline';
import type { BedProcess, HostName, TestBed } from '../test/system/bed.js';

/**
 * The client's neighbour (ARP) table as history, for the failover-netns benchmark: one `ip -ts -o monitor neigh`
 * in the client's namespace (an observer: never frozen), so the client-side part of an outage can be split into
 * "the gratuitous ARP reached the client" and "the next attempt got through". Timestamps as in the address
 * monitors: the wall clock when `ip` read the netlink message (printed in UTC).
 */

export interface NeighbourEvent {
  wallMs: number;
  deleted: boolean;
  address: string;
  /** Absent for INCOMPLETE/FAILED entries. */
  lladdr: string | undefined;
  /** NUD state words (REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE...). */
  state: string;
}

// [2026-11-26T12:36:55.724800] 198.51.100.10 dev eth0 lladdr 5e:00:00:00:00:01 REACHABLE
const LINE =
  /^\[(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?\]\s+(Deleted\s+)?(\S+)\s+dev\s+\S+\s*(?:lladdr\s+(\S+))?\s*(.*)$/;

export class NeighbourRecorder {
  readonly events: NeighbourEvent[] = [];

  private constructor(readonly monitor: BedProcess) {
    createInterface({ input: monitor.child.stdout! }).on('line', (line) => {
      const match = LINE.exec(line);
      if (!match) return;
      const [, date, time, fraction = '', deleted, address = '', lladdr, state = ''] = match;
      this.events.push({
        wallMs: Date.parse(`${date}T${time}Z`) + (fraction ? Number(`0.${fraction}`) * 1000 : 0),
        deleted: Boolean(deleted),
        address,
        lladdr: lladdr?.toLowerCase(),
        state: state.trim(),
      });
    });
  }

  static start(bed: TestBed, host: HostName): NeighbourRecorder {
    return new NeighbourRecorder(
      bed.spawn(host, 'ip', ['-ts', '-o', 'monitor', 'neigh'], {
        name: 'neighbour-monitor',
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, TZ: 'UTC' },
        freezable: false,
      }),
    );
  }

  get running(): boolean {
    return this.monitor.running;
  }

  /** The first event at or after `afterMs` showing `address` resolved to `lladdr`. */
  firstResolvedTo(address: string, lladdr: string, afterMs: number): NeighbourEvent | undefined {
    return this.events.find(
      (event) => !event.deleted && event.address === address && event.lladdr === lladdr && event.wallMs >= afterMs,
    );
  }
}
