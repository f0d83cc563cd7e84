/**
 * Two network namespaces joined by a veth pair, for the VIP agent's tests (vip-agent.test.ts): a `node` that gets
 * the VIP and a `peer` that watches it. Small and self-contained; the multi-host bed is bed.ts.
 *
 * Network safety: everything happens inside the two namespaces made here (`ip -n NS`, `ip netns exec NS`); the
 * veth is created inside the node namespace with its other end made straight in the peer's, so the root
 * namespace's links, addresses and routes are never touched. Addresses come from the documentation ranges
 * 198.51.100.0/24 and 2001:db8::/32. `destroy` kills the processes spawned here (by PID) and deletes both
 * namespaces (which deletes the veth), killing first whatever still runs inside them; it also runs at process exit
 * and on SIGTERM/SIGINT (ava ends a timed-out worker with SIGTERM), and `create` does the same for pairs left by a
 * process that died without running either (SIGKILL).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The interface name on both sides. */
export const NIC = 'vip0';
export const NODE_IPV4 = '198.51.100.11';
export const PEER_IPV4 = '198.51.100.100';
export const NODE_IPV6 = '2001:db8::11';
export const PEER_IPV6 = '2001:db8::100';

/** Namespaces are `stgvip-<owner pid>-<4 hex>-node|peer`: a dead owner's pair is stale. */
const NAME = /^stgvip-(\d+)-[0-9a-f]{4}-(node|peer)$/;
const NETNS_DIR = '/run/netns';

export class VethPair {
  private static readonly open = new Set<VethPair>();
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  private constructor(
    readonly node: string,
    readonly peer: string,
  ) {}

  /** Makes the pair: links up, node 198.51.100.11/24 + 2001:db8::11/64, peer .100 and ::100 (no DAD). */
  static async create(): Promise<VethPair> {
    VethPair.sweepStale();
    VethPair.installExitHandlers();
    const id = `stgvip-${process.pid}-${randomBytes(2).toString('hex')}`;
    const pair = new VethPair(`${id}-node`, `${id}-peer`);
    VethPair.open.add(pair);
    try {
      await ip(['netns', 'add', pair.node]);
      await ip(['netns', 'add', pair.peer]);
      await ip(['-n', pair.node, 'link', 'add', NIC, 'type', 'veth', 'peer', 'name', NIC, 'netns', pair.peer]);
      for (const [ns, v4, v6] of [
        [pair.node, NODE_IPV4, NODE_IPV6],
        [pair.peer, PEER_IPV4, PEER_IPV6],
      ] as const) {
        await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
        await ip(['-n', ns, 'addr', 'add', `${v4}/24`, 'dev', NIC]);
        await ip(['-n', ns, 'addr', 'add', `${v6}/64`, 'dev', NIC, 'nodad']);
        await ip(['-n', ns, 'link', 'set', NIC, 'up']);
      }
      // IPv6 is usable on a link only once the kernel has configured it (link-local address, the ff00::/8 route),
      // which follows the link's operstate and can lag `link set up` by up to a second (linkwatch): until then the
      // peer drops multicast, unsolicited neighbour advertisements included (counted as Ip6InNoRoutes).
      for (const ns of [pair.node, pair.peer]) await pair.waitIpv6Ready(ns);
    } catch (error) {
      pair.destroy();
      throw error;
    }
    return pair;
  }

  /** Waits (bounded) until a side's veth has its ff00::/8 multicast route in the local table. */
  async waitIpv6Ready(ns: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const routes = await this.ip(ns, ['-6', 'route', 'show', 'table', 'local', 'dev', NIC]);
      if (/^multicast ff00::\/8 /m.test(routes)) return;
      if (Date.now() > deadline) throw new Error(`IPv6 not configured on ${NIC} in ${ns} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** `ip -n NS ARGS`; throws with ip's message when it fails. */
  ip(ns: string, args: readonly string[]): Promise<string> {
    return ip(['-n', ns, ...args]);
  }

  /** The MAC address of a side's interface. */
  async mac(ns: string): Promise<string> {
    const [link] = JSON.parse(await this.ip(ns, ['-j', 'link', 'show', 'dev', NIC])) as { address: string }[];
    if (!link) throw new Error(`no ${NIC} in ${ns}`);
    return link.address;
  }

  /** A long-running command inside a namespace (`ip netns exec`), killed by its PID in `destroy`. */
  spawn(ns: string, command: string, args: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Kills what was spawned here and deletes both namespaces (and with them the veth). Idempotent, synchronous. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const child of this.children) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
    deleteNamespaces([this.node, this.peer]);
    VethPair.open.delete(this);
  }

  /** Deletes the pairs of owners that died without cleaning up (SIGKILL). */
  static sweepStale(): string[] {
    let names: string[];
    try {
      names = readdirSync(NETNS_DIR);
    } catch {
      return [];
    }
    const stale = names.filter((name) => {
      const owner = NAME.exec(name)?.[1];
      return owner !== undefined && Number(owner) !== process.pid && !alive(Number(owner));
    });
    deleteNamespaces(stale);
    return stale;
  }

  private static exitHandlersInstalled = false;

  private static installExitHandlers(): void {
    if (VethPair.exitHandlersInstalled) return;
    VethPair.exitHandlersInstalled = true;
    const destroyAll = () => {
      for (const pair of [...VethPair.open]) pair.destroy();
    };
    process.on('exit', destroyAll);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const handler = () => {
        destroyAll();
        process.removeListener(signal, handler);
        // Nobody else handles it: take the signal's default course (the process ends).
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      };
      process.on(signal, handler);
    }
  }
}

async function ip(args: readonly string[]): Promise<string> {
  try {
    return (await execFileAsync('ip', args)).stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? '';
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || String(error)}`, { cause: error });
  }
}

/** Kills every process still inside the namespaces (by PID, found through /proc/PID/ns/net), then deletes them. */
function deleteNamespaces(names: readonly string[]): void {
  const inodes = new Set<string>();
  for (const name of names) {
    try {
      inodes.add(`net:[${statSync(`${NETNS_DIR}/${name}`).ino}]`);
    } catch {
      // not there (never made, or deleted already)
    }
  }
  for (const pid of inodes.size > 0 ? readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)) : []) {
    try {
      if (inodes.has(readlinkSync(`/proc/${pid}/ns/net`))) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile, or not ours to see
    }
  }
  for (const name of names) {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    } catch {
      // not there (never made, or deleted already)
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}
