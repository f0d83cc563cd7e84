import { IDENTIFIER, IDENTIFIER_RULE, PORT_RULE, isPort } from '../config/names.js';
import { readYaml } from '../config/yaml-file.js';
import { ConfigError, type ConfigProblem } from '../errors.js';

/**
 * What clusterctl needs: the cluster name and its lock members. A node file works too (its other keys are
 * ignored), so an operator on a node needs no second file. Checked by hand with the node file's rules: clusterctl
 * starts on every call, and the full schema library costs it about 90 ms.
 */
export interface ClusterctlConfig {
  cluster: string;
  lockMembers: { host: string; port: number; passwordFile?: string }[];
}

export const DEFAULT_CLUSTERCTL_CONFIG = '/etc/stg-cluster/clusterctl.yaml';

export function loadClusterctlConfig(path: string): ClusterctlConfig {
  const raw = readYaml(path) as Record<string, unknown> | null;
  const problems: ConfigProblem[] = [];
  const cluster = raw?.['cluster'];
  if (typeof cluster !== 'string' || !IDENTIFIER.test(cluster)) {
    problems.push({ path: 'cluster', value: cluster, expected: IDENTIFIER_RULE });
  }
  const members = raw?.['lockMembers'];
  if (!Array.isArray(members) || members.length === 0) {
    problems.push({ path: 'lockMembers', value: members, expected: 'a list of at least one lock member {host, port}' });
  } else {
    members.forEach((member: Record<string, unknown> | null, index) => {
      if (typeof member?.['host'] !== 'string' || member['host'] === '') {
        problems.push({
          path: `lockMembers[${index}].host`,
          value: member?.['host'],
          expected: 'a host name or address',
        });
      }
      if (!isPort(member?.['port'])) {
        problems.push({ path: `lockMembers[${index}].port`, value: member?.['port'], expected: PORT_RULE });
      }
      const secret = member?.['passwordFile'];
      if (secret !== undefined && (typeof secret !== 'string' || secret === '')) {
        problems.push({ path: `lockMembers[${index}].passwordFile`, value: secret, expected: 'a file path' });
      }
    });
  }
  if (problems.length > 0) throw new ConfigError(path, problems);
  return { cluster: cluster as string, lockMembers: members as ClusterctlConfig['lockMembers'] };
}
