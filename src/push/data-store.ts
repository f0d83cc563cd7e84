import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { problemsFromIssues } from '../config/problems.js';
import { nodeFileSchema, type RedisEndpoint } from '../config/schema.js';
import { readYamlChecked } from '../config/yaml-file.js';
import { ConfigError } from '../errors.js';

/**
 * What a push worker needs from the node file: the node's id (it names the worker's consumer) and the data
 * Redis. The node file is checked with the agent's own schema, but the cluster definition it names is not read:
 * a push worker must not refuse to start over a definition problem it has nothing to do with.
 */
export function loadNodeDataStore(path: string): { nodeId: string; dataStore: RedisEndpoint } {
  const absolute = resolve(path);
  const raw = readYamlChecked(absolute);
  if (!raw.ok) throw new ConfigError(absolute, raw.problems);
  const result = nodeFileSchema.safeParse(raw.value, { reportInput: true });
  if (!result.success) throw new ConfigError(absolute, problemsFromIssues(result.error.issues, raw.value));
  const { dataStore } = result.data;
  return {
    nodeId: result.data.node.id,
    dataStore: dataStore.passwordFile
      ? { ...dataStore, passwordFile: resolve(dirname(absolute), dataStore.passwordFile) }
      : dataStore,
  };
}

/**
 * A connection to the data Redis that rides out a restart of it: commands wait (briefly) for the reconnection
 * instead of failing at once, since a push job lost to a blip would be a missed call.
 */
export function connectDataStore(endpoint: RedisEndpoint, name: string): Redis {
  const client = new Redis({
    host: endpoint.host,
    port: endpoint.port,
    password: endpoint.passwordFile ? readFileSync(endpoint.passwordFile, 'utf8').trim() : undefined,
    connectionName: name,
    maxRetriesPerRequest: 3,
    retryStrategy: (times) => Math.min(1000, 50 * times),
  });
  client.on('error', () => undefined); // every failed command is reported where it is made
  return client;
}

/**
 * The data Redis named by a file's `dataStore` key, checked alone: clusterctl reads it from whatever file its
 * operator gives (a node file, or a clusterctl.yaml with a dataStore key), without requiring the rest.
 */
export function readDataStoreEndpoint(path: string): RedisEndpoint {
  const absolute = resolve(path);
  const raw = readYamlChecked(absolute);
  if (!raw.ok) throw new ConfigError(absolute, raw.problems);
  const value =
    typeof raw.value === 'object' && raw.value !== null
      ? (raw.value as Record<string, unknown>)['dataStore']
      : undefined;
  const result = nodeFileSchema.shape.dataStore.safeParse(value, { reportInput: true });
  if (!result.success) {
    const problems = problemsFromIssues(result.error.issues, value).map((problem) => ({
      ...problem,
      path: problem.path ? `dataStore.${problem.path}` : 'dataStore',
    }));
    throw new ConfigError(absolute, problems);
  }
  const endpoint = result.data;
  return endpoint.passwordFile
    ? { ...endpoint, passwordFile: resolve(dirname(absolute), endpoint.passwordFile) }
    : endpoint;
}
