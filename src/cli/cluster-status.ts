import type { LeaseObservation } from '../cluster/lease-observation.js';
import { readExternalDnsReport, type ExternalDnsReport } from '../dns/external-report.js';
import { observeLease, parseMemberLease } from '../cluster/lease-observation.js';
import { readNodes, type NodeView, type SipProxySummary } from '../cluster/membership.js';
import type { ControlPlane } from '../store/control-plane.js';
import { DEFAULT_TIMINGS } from '../config/defaults.js';
import type { ClusterDefinition } from '../config/schema.js';
import { readFailcounts } from '../cluster/failcounts.js';
import { NO_INTENT, readIntent } from '../cluster/intent.js';
import { readPlacement } from '../cluster/placement.js';
import { resourceStatuses, type ResourceStatus } from './resource-status.js';

/** Redis expires keys by its wall clock: a member whose clock is this far off is worth a warning. */
const CLOCK_SKEW_WARNING_MS = 500;

/** `clusterctl status --json`: a stable shape for scripts and tests. */
export interface ClusterStatus {
  cluster: string;
  leader: { node: string; term: number; leaseLeftMs: number } | null;
  fence: number;
  quorum: { reachable: number; total: number; majority: number };
  members: {
    member: string;
    reachable: boolean;
    counted: boolean;
    termSeen: number;
    runId: string | null;
    runIdChanges: number;
    /** The member's clock minus this host's, in milliseconds. */
    clockSkewMs: number | null;
    holder: string | null;
  }[];
  nodes: {
    id: string;
    state: NodeView['state'];
    heartbeatAgeMs: number | null;
    /** The agent's process id on that node. */
    pid: number | null;
    leaderTerm: number | null;
    sentence: string | null;
    refusal: string | null;
    eventLoopLagMs: number | null;
    intentVersion: number | null;
    maintenance: boolean | null;
    definitionVersion: number | null;
    /** The node's SIP proxy as its agent last read it; null when the node has no `sipProxy` (or no heartbeat). */
    sip: SipProxySummary | null;
  }[];
  definition: { term: number; version: number } | null;
  /** The placement in force: its version and the term of the leader that computed it. */
  placement: { version: number; term: number } | null;
  /** Maintenance mode: the cluster monitors and reports but starts, stops and moves nothing. */
  maintenance: boolean;
  standby: string[];
  resources: ResourceStatus[];
  /** `dns.external` of the definition: null when not configured; else the leader's report (null: none lately). */
  externalDns: { report: ExternalDnsReport | null } | null;
  warnings: string[];
}

/** Reads the cluster's state from the lock members (majority rules, as for the agents). */
export async function readClusterStatus(plane: ControlPlane, cluster: string): Promise<ClusterStatus> {
  const keys = plane.keys;
  const answers = await plane.onAll(async (member) => {
    const sentAt = Date.now();
    const [lease, info, time] = await Promise.all([
      member.run('readLease', [keys.lease, keys.fence, keys.handoff, keys.definition], []),
      member.client.info('server'),
      member.client.time(),
    ]);
    // The member's clock against ours, corrected by half the round trip.
    const memberMs = Number(time[0]) * 1000 + Number(time[1]) / 1000;
    const skewMs = Math.round(memberMs - (sentAt + Date.now()) / 2);
    return { lease, runId: /run_id:(\w+)/.exec(info)?.[1] ?? null, skewMs };
  });
  // clusterctl is short-lived and sees each member for the first time: every reachable member counts here.
  const states = answers.map((answer) =>
    parseMemberLease(
      answer.ok ? { ...answer, counted: true, value: answer.value.lease } : { ...answer, counted: false },
    ),
  );
  const observation: LeaseObservation = observeLease(states, plane.total, plane.majority);
  const quiet = <T>(read: Promise<T>) => read.catch(() => undefined);
  const [definition, placement, intent, failures] = observation.quorum
    ? await Promise.all([
        quiet(plane.readVersioned<ClusterDefinition>(keys.definition)),
        quiet(readPlacement(plane)),
        quiet(readIntent(plane)),
        quiet(readFailcounts(plane)),
      ])
    : [undefined, undefined, undefined, undefined];
  const externalDns = definition?.value.dns?.external
    ? { report: (await quiet(readExternalDnsReport(plane))) ?? null }
    : null;
  const heartbeatTtlMs = definition?.value.timings?.heartbeatTtlMs ?? DEFAULT_TIMINGS.heartbeatTtlMs;
  const nodes = observation.quorum ? await readNodes(plane, heartbeatTtlMs).catch(() => []) : [];
  const changesSeen = new Map<string, number>();
  for (const node of nodes) {
    for (const member of node.heartbeat?.members ?? []) {
      changesSeen.set(member.label, Math.max(changesSeen.get(member.label) ?? 0, member.runIdChanges));
    }
  }
  const warnings: string[] = [];
  answers.forEach((answer) => {
    if (answer.ok && Math.abs(answer.value.skewMs) > CLOCK_SKEW_WARNING_MS) {
      warnings.push(
        `clock of lock member ${answer.member.label} is ${answer.value.skewMs} ms off this host's: hosts of lock members must slew, never step, their clocks`,
      );
    }
  });
  if (!observation.quorum)
    warnings.push(`only ${observation.counted}/${observation.total} lock members reachable: no quorum`);
  const holder = observation.holder;
  return {
    cluster,
    leader:
      holder && observation.holderValidMs > 0
        ? { node: holder.node, term: holder.term, leaseLeftMs: observation.holderValidMs }
        : null,
    fence: observation.fence,
    quorum: { reachable: observation.counted, total: observation.total, majority: observation.majority },
    members: states.map((state, index) => {
      const answer = answers[index]!;
      return {
        member: state.member,
        reachable: state.reachable,
        counted: state.counted,
        termSeen: state.fence,
        runId: answer.ok ? answer.value.runId : null,
        runIdChanges: changesSeen.get(state.member) ?? 0,
        clockSkewMs: answer.ok ? answer.value.skewMs : null,
        holder: state.holder ? `${state.holder.node} (term ${state.holder.term})` : null,
      };
    }),
    nodes: nodes.map((node) => ({
      id: node.id,
      state: node.state,
      heartbeatAgeMs: node.heartbeatAgeMs ?? null,
      pid: node.heartbeat?.pid ?? null,
      leaderTerm: node.heartbeat?.leaderTerm ?? null,
      sentence: node.heartbeat?.sentence ?? null,
      refusal: node.heartbeat?.refusal ?? null,
      eventLoopLagMs: node.heartbeat?.eventLoopLagMs ?? null,
      intentVersion: node.heartbeat?.intentVersion ?? null,
      maintenance: node.heartbeat?.maintenance ?? null,
      definitionVersion: node.heartbeat?.definitionVersion ?? null,
      sip: node.heartbeat?.sip ?? null,
    })),
    definition: observation.definition ?? null,
    placement: placement ? { version: placement.version, term: placement.document.term } : null,
    maintenance: intent?.maintenance ?? false,
    standby: intent?.standby ?? [],
    resources: resourceStatuses(
      definition?.value,
      placement?.document,
      nodes,
      intent ?? NO_INTENT,
      failures ?? [],
      Date.now(),
    ),
    externalDns,
    warnings,
  };
}
