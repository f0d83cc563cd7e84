import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * A node file for a stg-push-worker a benchmark starts: the worker reads only its node id and data Redis, but the
 * file must be a whole valid node file (the lock member is never contacted). Written in `dir`; returns its path.
 */
export function writeWorkerNodeFile(dir: string, dataStore: { host: string; port: number }): string {
  const path = join(dir, 'node.yaml');
  writeFileSync(
    path,
    stringify({
      cluster: 'bench',
      node: { id: 'stg1', address: '127.0.0.1' },
      lockMembers: [{ host: '127.0.0.1', port: 1 }],
      dataStore: { host: dataStore.host, port: dataStore.port },
      paths: { stateDir: join(dir, 'state') },
      definitionFile: 'cluster.yaml',
    }),
  );
  return path;
}
