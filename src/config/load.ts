import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { markPath, problemsFromIssues } from './problems.js';
import { readYamlChecked, type Checked } from './yaml-file.js';

export { readYaml } from './yaml-file.js';
import { definitionSchema, nodeFileSchema, type ClusterDefinition, type NodeFile } from './schema.js';

/** What an agent starts with: its own node file and the definition it would bootstrap a new cluster with. */
export interface AgentConfig {
  readonly path: string;
  readonly node: NodeFile;
  readonly bootstrapDefinition: ClusterDefinition;
}

/**
 * Reads and checks a node file and the cluster definition it names. Throws one ConfigError, with the node file as
 * its source, listing every problem of both files: the definition's problems have its file name (as the node file
 * writes it) before their paths, e.g. "cluster.yaml: timings.leaseTtlMs". The definition is checked even when the
 * node file has problems, as long as the node file names it. Returns a deep-frozen configuration with paths
 * resolved against the node file's folder.
 */
export function loadAgentConfig(path: string): AgentConfig {
  const nodePath = resolve(path);
  const nodeRaw = readYamlChecked(nodePath);
  if (!nodeRaw.ok) throw new ConfigError(nodePath, nodeRaw.problems);
  const nodeResult = nodeFileSchema.safeParse(nodeRaw.value, { reportInput: true });
  const problems: ConfigProblem[] = nodeResult.success
    ? []
    : problemsFromIssues(nodeResult.error.issues, nodeRaw.value);

  const definitionFile = writtenString(nodeRaw.value, 'definitionFile');
  if (definitionFile === undefined) throw new ConfigError(nodePath, problems);
  const definitionRaw = readYamlChecked(resolve(dirname(nodePath), definitionFile));
  if (!definitionRaw.ok) {
    problems.push(
      ...definitionRaw.problems.map((problem) => ({ ...problem, path: markPath(definitionFile, problem.path) })),
    );
    throw new ConfigError(nodePath, problems);
  }
  const definition = checkDefinition(definitionRaw.value, definitionFile);
  if (!definition.ok) problems.push(...definition.problems);

  // Compared only when both names are valid: an invalid one has its own problem.
  const nodeCluster = validCluster(writtenString(nodeRaw.value, 'cluster'));
  const definitionCluster = validCluster(writtenString(definitionRaw.value, 'cluster'));
  if (nodeCluster && definitionCluster && nodeCluster !== definitionCluster) {
    problems.push({
      path: 'cluster',
      value: nodeCluster,
      expected: `the cluster of ${definitionFile} ("${definitionCluster}")`,
    });
  }

  if (!nodeResult.success || !definition.ok || problems.length > 0) throw new ConfigError(nodePath, problems);
  const node = resolvePaths(nodeResult.data, dirname(nodePath));
  return deepFreeze({ path: nodePath, node, bootstrapDefinition: definition.value });
}

/** Checks a cluster definition (from a file or from the control plane); throws ConfigError naming every problem. */
export function parseDefinition(raw: unknown, source: string): ClusterDefinition {
  const checked = checkDefinition(raw);
  if (!checked.ok) throw new ConfigError(source, checked.problems);
  return checked.value;
}

function checkDefinition(raw: unknown, prefix = ''): Checked<ClusterDefinition> {
  const result = definitionSchema.safeParse(raw, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: problemsFromIssues(result.error.issues, raw, prefix) };
}

/** A key of a YAML mapping as written, when it is a non-empty string. */
function writtenString(raw: unknown, key: string): string | undefined {
  const value = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The cluster name if it is a valid one. */
function validCluster(name: string | undefined): string | undefined {
  return nodeFileSchema.shape.cluster.safeParse(name).success ? name : undefined;
}

function resolvePaths(node: NodeFile, base: string): NodeFile {
  const at = (path: string) => resolve(base, path);
  const withSecret = <T extends { passwordFile?: string | undefined }>(endpoint: T): T =>
    endpoint.passwordFile ? { ...endpoint, passwordFile: at(endpoint.passwordFile) } : endpoint;
  const resolveTls = (tls: NonNullable<NonNullable<NodeFile['sipProxy']>['tls']>) => ({
    certFile: at(tls.certFile),
    keyFile: at(tls.keyFile),
    ...(tls.caFile ? { caFile: at(tls.caFile) } : {}),
  });
  const stateDir = at(node.paths.stateDir);
  return {
    ...node,
    lockMembers: node.lockMembers.map(withSecret),
    dataStore: withSecret(node.dataStore),
    paths: {
      stateDir,
      journal: at(node.paths.journal ?? resolve(stateDir, 'leader-journal.jsonl')),
      log: node.paths.log ? at(node.paths.log) : undefined,
    },
    definitionFile: at(node.definitionFile),
    dnsExternalKeyFile: node.dnsExternalKeyFile ? at(node.dnsExternalKeyFile) : undefined,
    ...(node.sipProxy
      ? { sipProxy: { ...node.sipProxy, tls: node.sipProxy.tls && resolveTls(node.sipProxy.tls) } }
      : {}),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
