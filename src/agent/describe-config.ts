import type { AgentConfig } from '../config/load.js';

/** The summary `stg-agent --check-config` prints for a valid configuration. Secrets are named by path only. */
export function describeConfig(config: AgentConfig): string {
  const { node, bootstrapDefinition: definition } = config;
  const t = definition.timings;
  return [
    `configuration valid: ${config.path}`,
    `  node ${node.node.id} (${node.node.address}) in cluster ${node.cluster}`,
    `  lock members: ${node.lockMembers.map((member) => `${member.host}:${member.port}`).join(', ')} (majority ${Math.floor(node.lockMembers.length / 2) + 1})`,
    `  data store: ${node.dataStore.host}:${node.dataStore.port}`,
    `  http: ${node.http.address}:${node.http.port}`,
    `  definition: ${node.definitionFile} (service ${definition.service.name}, ${definition.resources.length} resource(s))`,
    `  timings: lease ${t.leaseTtlMs} ms, renew every ${t.renewIntervalMs} ms (timeout ${t.renewTimeoutMs} ms), ` +
      `pause allowance ${t.pauseAllowanceMs} ms, drift ${t.clockDrift}, VIP lifetime ${t.kernelLifetimeS} s`,
  ].join('\n');
}
