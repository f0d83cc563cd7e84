import Table from 'cli-table3';
import type { ClusterStatus } from './cluster-status.js';

/** Borderless columns (like kubectl's and patronictl's lists): easy to read, easy to grep. */
const borderless = Object.fromEntries(
  [
    'top',
    'top-mid',
    'top-left',
    'top-right',
    'bottom',
    'bottom-mid',
    'bottom-left',
    'bottom-right',
    'left',
    'left-mid',
    'mid',
    'mid-mid',
    'right',
    'right-mid',
  ].map((part) => [part, '']),
);
const plain = {
  chars: { ...borderless, middle: '  ' },
  style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
};

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
  lines.push('', status.resources.length > 0 ? '' : 'Resources: none defined');
  return lines.join('\n').trimEnd();
}
