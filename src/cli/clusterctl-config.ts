import { z } from 'zod';
import { readYaml } from '../config/load.js';
import { problemsFromIssues } from '../config/problems.js';
import { ConfigError } from '../errors.js';
import { nodeFileSchema } from '../config/schema.js';

/**
 * What clusterctl needs: the cluster name and its lock members. A node file works too (its other keys are
 * ignored), so an operator on a node needs no second file.
 */
const clusterctlSchema = z.object({
  cluster: nodeFileSchema.shape.cluster,
  lockMembers: nodeFileSchema.shape.lockMembers,
});

export type ClusterctlConfig = z.infer<typeof clusterctlSchema>;

export const DEFAULT_CLUSTERCTL_CONFIG = '/etc/stg-cluster/clusterctl.yaml';

export function loadClusterctlConfig(path: string): ClusterctlConfig {
  const raw = readYaml(path);
  const result = clusterctlSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(path, problemsFromIssues(result.error.issues, raw));
  return result.data;
}
