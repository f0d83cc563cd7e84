import { createInterface } from 'node:readline';
import type { Timeline } from './address-timeline.js';
import type { BedEvent, BedProcess, HostName, TestBed } from './bed.js';

/**
 * What the client saw on the wire about an address: every ARP packet whose sender is the address (gratuitous
 * requests and replies) and every neighbour advertisement for it, with the Ethernet source, from one tcpdump in
 * the client's namespace (an observer: never frozen). Merged with the nodes' address timelines, it shows what a
 * client can be told: a node claiming the VIP while it does not hold it would steal the client's traffic.
 *
 * Timestamps are tcpdump's `-tt`: the kernel's receive time of the packet in the client's namespace, on the same
 * wall clock as the address monitors (which stamp the moment `ip` read the netlink message, a little after the
 * change).
 */

export interface Claim {
  wallMs: number;
  /** The Ethernet source: who sent it. */
  mac: string;
  /** The host that MAC belongs to, when it is one of the bed's. */
  host: HostName | undefined;
  kind: 'arp-request' | 'arp-reply' | 'neighbour-advertisement';
  line: string;
}

/** A claim made by a host that did not hold the address then (by more than the tolerance). */
export interface UnheldClaim extends Claim {
  holdersThen: HostName[];
}

// 1764163200.123456 5e:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has
//   198.51.100.10 tell 198.51.100.10, length 28
const PACKET = /^(\d+\.\d+) ([0-9a-f:]{17}) > [0-9a-f:]{17}, ethertype (ARP|IPv6) \(0x[0-9a-f]+\), length \d+: (.*)$/;
const ARP_REQUEST = /^Request who-has (\S+) (?:\(\S+\) )?tell (\S+),/;
const ARP_REPLY = /^Reply (\S+) is-at /;
const ADVERTISEMENT = /ICMP6, neighbor advertisement, tgt is (\S+),/;

/** The claim a tcpdump line makes about `address`, or undefined (other traffic, or about other addresses). */
export function parseClaim(line: string, address: string, hostOf: (mac: string) => HostName | undefined) {
  const packet = PACKET.exec(line);
  if (!packet) return undefined;
  const [, seconds = '', rawMac = '', type, body = ''] = packet;
  const base = { wallMs: Number(seconds) * 1000, mac: rawMac, host: hostOf(rawMac), line };
  if (type === 'ARP') {
    const request = ARP_REQUEST.exec(body);
    if (request && request[2] === address) return { ...base, kind: 'arp-request' } as Claim;
    if (ARP_REPLY.exec(body)?.[1] === address) return { ...base, kind: 'arp-reply' } as Claim;
    return undefined;
  }
  return ADVERTISEMENT.exec(body)?.[1] === address
    ? ({ ...base, kind: 'neighbour-advertisement' } as Claim)
    : undefined;
}

export class ClaimCapture {
  readonly claims: Claim[] = [];
  private stderr = '';

  private constructor(
    readonly address: string,
    readonly tcpdump: BedProcess,
    hostOf: (mac: string) => HostName | undefined,
  ) {
    createInterface({ input: tcpdump.child.stdout! }).on('line', (line) => {
      const claim = parseClaim(line, address, hostOf);
      if (claim) this.claims.push(claim);
    });
  }

  /** Starts tcpdump on the client's eth0 and resolves once it captures (its "listening on" line). */
  static async start(bed: TestBed, address: string, { host = 'client' as HostName, timeoutMs = 5000 } = {}) {
    const macs = new Map(await Promise.all(bed.nodes.map(async (node) => [await macOf(bed, node), node] as const)));
    // -U: each packet written at once; no name lookups; only ARP and neighbour advertisements (ICMPv6 type 136).
    const filter = 'arp or (icmp6 and ip6[40] == 136)';
    const tcpdump = bed.spawn(host, 'tcpdump', ['-i', bed.interface, '-n', '-l', '-U', '-tt', '-e', filter], {
      name: 'claims-tcpdump',
      stdio: ['ignore', 'pipe', 'pipe'],
      freezable: false,
    });
    const capture = new ClaimCapture(address, tcpdump, (mac) => macs.get(mac));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(`tcpdump did not start capturing within ${timeoutMs} ms`), timeoutMs);
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new Error(`${why}: ${capture.stderr.trim()}`));
      };
      tcpdump.child.stderr!.on('data', (chunk: Buffer) => {
        capture.stderr += chunk.toString();
        if (capture.stderr.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      tcpdump.child.once('exit', (code) => fail(`tcpdump exited (${code})`));
    });
    return capture;
  }

  /** Claims from a host at or after a moment. */
  from(host: HostName, afterMs = -Infinity): Claim[] {
    return this.claims.filter((claim) => claim.host === host && claim.wallMs >= afterMs);
  }

  /**
   * Claims made by a host that did not hold the address at that moment, within `toleranceMs` of either end of its
   * holding (the two clocks are the same, but each tool stamps a little after the fact). A claim from a MAC that is
   * no node's counts as unheld too.
   */
  unheld(timeline: Timeline, { toleranceMs = 50, resumes = [] as readonly Resume[] } = {}): UnheldClaim[] {
    return this.claims
      .filter((claim) => {
        if (!claim.host) return true;
        const pieces = timeline.byHost.get(claim.host) ?? [];
        const held = pieces.some(
          (piece) =>
            piece.fromMs - toleranceMs <= claim.wallMs && claim.wallMs <= (piece.toMs ?? Infinity) + toleranceMs,
        );
        return !held && !sentOnResume(claim, resumes, (host, ms) => timeline.holdersAt(ms).includes(host));
      })
      .map((claim) => ({ ...claim, holdersThen: timeline.holdersAt(claim.wallMs) }));
  }

  describe(): string {
    return this.claims.map((claim) => `${claim.host ?? claim.mac} ${claim.kind} ${claim.wallMs.toFixed(1)}`).join('; ');
  }

  stop(): void {
    this.tcpdump.signal('SIGTERM');
  }
}

/** A whole host paused (every process stopped, its link cut) and resumed: bed.ts freeze() and thaw(). */
export interface Resume {
  readonly host: HostName;
  readonly frozenMs: number;
  readonly thawedMs: number;
}

/** How long after its resume a paused host may still send the announcement it was in the middle of. */
export const RESUME_SEND_ALLOWANCE_MS = 500;

/**
 * A claim a paused host was about to send when it was stopped: the host held the address at the pause, and the claim
 * leaves just after the resume. An announce run that had checked the address and was stopped before its arping sent
 * sends on the resume, before any software of that host can run (the kernel had removed the address meanwhile); a
 * VM paused by its hypervisor does the same. Nothing on the node can prevent it, so it is told apart, and bounded.
 */
export function sentOnResume(
  claim: Claim,
  resumes: readonly Resume[],
  heldAt: (host: HostName, ms: number) => boolean,
): boolean {
  return resumes.some(
    (resume) =>
      resume.host === claim.host &&
      claim.wallMs >= resume.thawedMs - RESUME_SEND_ALLOWANCE_MS &&
      claim.wallMs <= resume.thawedMs + RESUME_SEND_ALLOWANCE_MS &&
      heldAt(resume.host, resume.frozenMs),
  );
}

/** The freeze and thaw pairs of a bed's events. */
export function resumesOf(events: readonly BedEvent[]): Resume[] {
  const frozen = new Map<HostName, number>();
  const resumes: Resume[] = [];
  for (const event of events) {
    if (event.kind === 'freeze') frozen.set(event.host, event.startedMs);
    if (event.kind !== 'thaw') continue;
    const frozenMs = frozen.get(event.host);
    if (frozenMs === undefined) continue;
    frozen.delete(event.host);
    resumes.push({ host: event.host, frozenMs, thawedMs: event.doneMs });
  }
  return resumes;
}

/** A host's eth0 MAC address, read inside its namespace. */
export async function macOf(bed: TestBed, host: HostName): Promise<string> {
  const result = await bed.run(host, 'ip', ['-o', 'link', 'show', 'dev', bed.interface]);
  const mac = /link\/ether\s+(\S+)/.exec(result.stdout)?.[1];
  if (result.code !== 0 || !mac) throw new Error(`no MAC address for ${host}: ${result.stderr.trim()}`);
  return mac.toLowerCase();
}
