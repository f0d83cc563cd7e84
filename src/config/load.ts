import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { problemsFromIssues } from './problems.js';
import { definitionSchema, nodeFileSchema, type ClusterDefinition, type NodeFile } from './schema.js';

/** What an agent starts with: its own node file and the definition it would bootstrap a new cluster with. */
export interface AgentConfig {
  readonly path: string;
  readonly node: NodeFile;
  readonly bootstrapDefinition: ClusterDefinition;
}

/**
 * Reads and checks a node file and the cluster definition it names. Throws one ConfigError listing every problem
 * of both files; returns a deep-frozen configuration with paths resolved against the node file's folder.
 */
export function loadAgentConfig(path: string): AgentConfig {
  const nodePath = resolve(path);
  const nodeRaw = readYaml(nodePath);
  const nodeResult = nodeFileSchema.safeParse(nodeRaw);
  if (!nodeResult.success) {
    throw new ConfigError(nodePath, problemsFromIssues(nodeResult.error.issues, nodeRaw));
  }
  const node = resolvePaths(nodeResult.data, dirname(nodePath));
  const definitionPath = node.definitionFile;
  const definitionRaw = readYaml(definitionPath);
  const definition = parseDefinition(definitionRaw, definitionPath);
  if (definition.cluster !== node.cluster) {
    throw new ConfigError(nodePath, [
      { path: 'cluster', value: node.cluster, expected: `the cluster of ${definitionPath} ("${definition.cluster}")` },
    ]);
  }
  return deepFreeze({ path: nodePath, node, bootstrapDefinition: definition });
}

/** Checks a cluster definition (from a file or from the control plane); throws ConfigError naming every problem. */
export function parseDefinition(raw: unknown, source: string): ClusterDefinition {
  const result = definitionSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, problemsFromIssues(result.error.issues, raw));
  return result.data;
}

export function readYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(path, [{ path: '', value: undefined, expected: `a readable YAML file (${reason})` }]);
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    const problems: ConfigProblem[] = document.errors.map((error) => ({
      path: error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '',
      value: undefined,
      expected: `valid YAML (${error.message.split('\n')[0]})`,
    }));
    throw new ConfigError(path, problems);
  }
  return document.toJS();
}

function resolvePaths(node: NodeFile, base: string): NodeFile {
  const at = (path: string) => resolve(base, path);
  const withSecret = <T extends { passwordFile?: string | undefined }>(endpoint: T): T =>
    endpoint.passwordFile ? { ...endpoint, passwordFile: at(endpoint.passwordFile) } : endpoint;
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
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
