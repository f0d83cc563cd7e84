import Table from 'cli-table3';
import { readDnsStatus, type DnsStatus } from '../../dns/dns-status.js';
import { describeExternalDns } from '../../dns/external-report.js';
import { NoQuorumError } from '../../errors.js';
import type { ClusterctlConfig } from '../clusterctl-config.js';
import { Session } from '../session.js';

const plain = {
  chars: {
    top: '',
    'top-mid': '',
    'top-left': '',
    'top-right': '',
    bottom: '',
    'bottom-mid': '',
    'bottom-left': '',
    'bottom-right': '',
    left: '',
    'left-mid': '',
    mid: '',
    'mid-mid': '',
    right: '',
    'right-mid': '',
    middle: '  ',
  },
  style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
};

/**
 * `clusterctl dns [--json]`: the record set the leader published (term, version, what it answers and why) and each
 * node's DNS server (where it listens, which set it serves, when it last read the control plane). Exit code 0, or 2
 * when the published set cannot be read from a majority of the lock members.
 */
export async function dnsCommand(config: ClusterctlConfig, options: { json?: boolean }): Promise<number> {
  const session = await Session.open(config);
  try {
    const status = await readDnsStatus(session.plane);
    process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : `${renderDns(status)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof NoQuorumError)) throw error;
    process.stderr.write(`clusterctl dns: ${error.message}\n`);
    return 2;
  } finally {
    await session.close();
  }
}

export function renderDns(status: DnsStatus): string {
  const lines: string[] = [];
  const set = status.published;
  if (!set) {
    lines.push('Published DNS records: none yet (the leader publishes them on its first tick)');
  } else {
    lines.push(
      `Published DNS records: term ${set.term}, version ${set.version} (SOA serial), by ${set.leader} at ${set.publishedAt}`,
    );
    lines.push(`Zone: ${set.zone}, service ${set.serviceName}, TTL ${set.ttlS} s, servers listen on port ${set.port}`);
    if (set.mode === 'vip') {
      lines.push(`Mode: vip (the service name answers the VIP ${set.vip})`);
    } else {
      lines.push(`Mode: nodes (the service name answers the healthy nodes, the leader first)`);
      lines.push(`Answering: ${set.answering.join(', ') || 'no node'}`);
      for (const { node, reason } of set.leftOut) lines.push(`Left out: ${node} (${reason})`);
      if (set.degraded) lines.push(`DEGRADED: ${set.degraded}`);
    }
    lines.push('', ...set.zoneFile);
  }
  if (status.external) lines.push('', describeExternalDns(status.external));
  lines.push('');
  if (status.servers.length === 0) {
    lines.push('DNS servers: none has reported yet');
    return lines.join('\n');
  }
  const servers = new Table({
    head: ['DNS server', 'State', 'Serving', 'Listening (UDP+TCP)', 'Last read', 'Queries', 'Problem'],
    ...plain,
  });
  for (const server of status.servers) {
    const counters = server.counters;
    servers.push([
      server.node,
      server.status,
      server.serving ? `term ${server.serving.term} version ${server.serving.version}` : '-',
      server.listening.join(' ') || '-',
      server.lastReadAgeMs === null ? '-' : `${(server.lastReadAgeMs / 1000).toFixed(1)} s ago`,
      counters ? String(counters.udp + counters.tcp) : '-',
      [...server.notListening, ...(server.lastError ? [server.lastError] : [])].join('; ') || '',
    ]);
  }
  lines.push(servers.toString());
  return lines.join('\n');
}
