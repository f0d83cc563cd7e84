import Table from 'cli-table3';
import { describeExternalDns } from '../dns/external-report.js';
import type { ClusterStatus } from './cluster-status.js';
import { PLAIN_TABLE as plain } from './table-style.js';

/** `clusterctl status` as an operator reads it: the situation first, then members, then nodes. */
export function renderStatus(status: ClusterStatus): string {
  const lines: string[] = [];
  lines.push(`Cluster: ${status.cluster}`);
  lines.push(
    status.leader
      ? `Leader: ${status.leader.node}, term ${status.leader.term}, lease valid for ${status.leader.leaseLeftMs} ms`
      : `Leader: none (highest term seen: ${status.fence})`,
  );
  const quorum = status.quorum;
  lines.push(
    `Quorum: ${quorum.reachable}/${quorum.total} lock members reachable (majority ${quorum.majority})${quorum.reachable >= quorum.majority ? '' : ' - NO QUORUM'}`,
  );
  lines.push(
    status.definition
      ? `Definition: version ${status.definition.version} (written in term ${status.definition.term})`
      : 'Definition: none yet (the first leader bootstraps it)',
  );
  if (status.maintenance) {
    lines.push('*** MAINTENANCE MODE: resources are monitored and reported; nothing is started, stopped or moved ***');
  }
  if (status.standby.length > 0) lines.push(`Standby: ${status.standby.join(', ')}`);
  for (const warning of status.warnings) lines.push(`WARNING: ${warning}`);

  const members = new Table({
    head: ['Lock member', 'Reachable', 'Term seen', 'Lease holder', 'run_id', 'Restarts seen'],
    ...plain,
  });
  for (const member of status.members) {
    members.push([
      member.member,
      member.reachable ? 'yes' : 'NO',
      member.reachable ? String(member.termSeen) : '-',
      member.holder ?? '-',
      member.runId ? member.runId.slice(0, 12) : '-',
      String(member.runIdChanges),
    ]);
  }
  lines.push('', members.toString());

  const nodes = new Table({ head: ['Node', 'State', 'Role', 'Heartbeat age', 'Last tick'], ...plain });
  for (const node of status.nodes) {
    const role =
      node.leaderTerm !== null ? `leader (term ${node.leaderTerm})` : node.state === 'offline' ? '-' : 'follower';
    nodes.push([
      node.id,
      node.state,
      role,
      node.heartbeatAgeMs === null ? '-' : `${node.heartbeatAgeMs} ms`,
      node.refusal ? `REFUSES TO LEAD: ${node.refusal}` : (node.sentence ?? '-'),
    ]);
  }
  lines.push('', status.nodes.length > 0 ? nodes.toString() : 'Nodes: none has joined yet');
  lines.push(...renderSipProxies(status));
  lines.push('', ...renderResources(status));
  if (status.externalDns) lines.push('', describeExternalDns(status.externalDns.report ?? undefined));
  return lines.join('\n').trimEnd();
}

/** One line per node whose agent reads a SIP proxy (nodes without `sipProxy` in their file say nothing). */
function renderSipProxies(status: ClusterStatus): string[] {
  const lines: string[] = [];
  for (const node of status.nodes) {
    const sip = node.sip;
    if (sip === null || node.state === 'offline') continue;
    if ('unreachable' in sip) {
      lines.push(`  ${node.id} SIP: sip-proxy unreachable (${sip.reason}, at ${sip.at})`);
      continue;
    }
    const push = sip.pushPending === null ? 'no push wait' : `${sip.pushPending} push wait(s) pending`;
    const store =
      sip.dataStore === 'up' || sip.dataStore === 'none' ? '' : `, DATA STORE ${sip.dataStore.toUpperCase()}`;
    lines.push(`  ${node.id} SIP: ${sip.flows} flow(s), ${sip.transactions} transaction(s), ${push}${store}`);
  }
  if (lines.length === 0) return [];
  return ['', `SIP proxies:${registrationsOf(status)}`, ...lines];
}

/** " 123 live registration(s)": every proxy reads the same cluster-wide count; the latest read is shown. */
function registrationsOf(status: ClusterStatus): string {
  let latest: { count: number; at: string } | undefined;
  for (const node of status.nodes) {
    const sip = node.sip;
    if (sip === null || node.state === 'offline' || 'unreachable' in sip) continue;
    if (typeof sip.registrations !== 'number') continue;
    if (latest === undefined || sip.at > latest.at) latest = { count: sip.registrations, at: sip.at };
  }
  return latest === undefined ? '' : ` ${latest.count} live registration(s)`;
}

/** "0/3", or "2/3 on stg2" (the node with the most failures: the one the count is about). */
function failures(resource: ClusterStatus['resources'][number]): string {
  const worst = [...resource.instances].sort((a, b) => b.failcount - a.failcount)[0];
  const count = `${resource.failcount}/${resource.migrationThreshold}`;
  return worst && worst.failcount > 0 ? `${count} on ${worst.node}` : count;
}

function renderResources(status: ClusterStatus): string[] {
  if (status.resources.length === 0) return ['Resources: none defined'];
  const table = new Table({ head: ['Resource', 'Kind', 'Placement', 'Running on', 'State', 'Failures'], ...plain });
  for (const resource of status.resources) {
    const running = resource.instances
      .filter((instance) => instance.state === 'started')
      .map((instance) => instance.node);
    const failed = resource.instances
      .filter((instance) => instance.state === 'failed')
      .map((instance) => instance.node);
    const state = !resource.managed
      ? 'unmanaged'
      : failed.length > 0
        ? `FAILED on ${failed.join(', ')}`
        : running.length > 0
          ? 'started'
          : 'stopped';
    table.push([resource.id, resource.kind, resource.placement, running.join(', ') || '-', state, failures(resource)]);
  }
  const lines = [table.toString()];
  for (const resource of status.resources) {
    const failure = resource.lastFailure;
    if (failure) {
      lines.push(
        `  ${resource.id}: last failure on ${failure.node} at ${failure.at}: ${failure.operation} returned ${failure.rcName} (${failure.rc})${failure.reason ? `: ${failure.reason}` : ''}`,
      );
    }
    for (const why of resource.whyNotRunning) lines.push(`  ${resource.id} not running on ${why.node}: ${why.reason}`);
  }
  return lines;
}
