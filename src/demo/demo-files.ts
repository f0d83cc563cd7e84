import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { sipProxyOfNode, sipProxyResource } from './demo-sip.js';

/** The cluster the demo runs: fixed names, so the README and the printed commands can name them. */
export const DEMO_CLUSTER = 'demo';
export const DEMO_SERVICE = { name: 'sips.example.es', zone: 'example.es' } as const;
export const FIRST_HTTP_PORT = 8401;

export interface Endpoint {
  host: string;
  port: number;
}

/** Where the demo keeps each node's files in the state folder. */
export function nodePaths(dir: string, node: string) {
  return {
    nodeFile: join(dir, `${node}.yaml`),
    log: join(dir, `${node}.log`),
    journal: join(dir, `${node}.journal.jsonl`),
    stateDir: join(dir, node),
    /** Process resources' pidfiles (`<pid> <start time>`) and logs: DIR/stgN/resources/<id>.pid and .log. */
    resourcesDir: join(dir, node, 'resources'),
  };
}

/** Where the dummy (the leader resource) journals every action it performs, for the whole demo cluster. */
export function dummyJournalPath(dir: string): string {
  return join(dir, 'dummy.journal');
}

/**
 * The worker's program: a tiny daemon that stays in the foreground (as a process resource must) and logs a line
 * every few seconds to its log file (DIR/stgN/resources/worker.log), so an operator sees it live and sees it stop.
 */
export const WORKER_SCRIPT = [
  'const say = (what) => console.log(`${new Date().toISOString()} worker pid ${process.pid}: ${what}`);',
  "say('started');",
  "setInterval(() => say('alive'), 5000);",
  "process.on('SIGTERM', () => { say('SIGTERM: exiting'); process.exit(0); });",
].join(' ');

/**
 * The demo's resources: `dummy`, the OCF agent resource-agents/dummy on the leader (its journal shows which node
 * ran what under which term), `worker`, a small process on every node, and `sip-proxy`, stg-sip-proxy on every
 * node (demo-sip.ts). Monitors every 2 s so that a failure
 * shows quickly; everything else at its default.
 */
export function demoResources(dir: string) {
  return [
    {
      id: 'dummy',
      kind: 'ocf',
      agent: 'dummy',
      placement: 'leader',
      params: { journal: dummyJournalPath(dir) },
      monitorIntervalMs: 2000,
    },
    {
      id: 'worker',
      kind: 'process',
      // The same Node binary as the demo's own (the project's node@24 under `npm run demo`).
      command: [process.execPath, '-e', WORKER_SCRIPT],
      placement: 'every-node',
      monitorIntervalMs: 2000,
    },
    sipProxyResource(),
  ];
}

/** The cluster definition every agent bootstraps with: the service, default timings, the demo's two resources. */
export function writeDefinition(dir: string): string {
  const path = join(dir, 'cluster.yaml');
  const definition = { cluster: DEMO_CLUSTER, service: { ...DEMO_SERVICE }, resources: demoResources(dir) };
  writeFileSync(
    path,
    // lineWidth 0: the worker's one-line script stays on one line.
    `# stg-cluster demo: cluster definition (default timings, see config/cluster.example.yaml)\n${stringify(definition, { lineWidth: 0 })}`,
  );
  return path;
}

/** One agent's node file (schema: src/config/schema.ts), with every path inside the state folder. */
export function writeNodeFile(
  dir: string,
  node: string,
  index: number,
  lockMembers: Endpoint[],
  dataStore: Endpoint,
): string {
  const paths = nodePaths(dir, node);
  const file = {
    cluster: DEMO_CLUSTER,
    node: { id: node, address: '127.0.0.1' },
    lockMembers,
    dataStore,
    http: { address: '127.0.0.1', port: FIRST_HTTP_PORT + index },
    paths: { stateDir: paths.stateDir, journal: paths.journal, log: paths.log },
    definitionFile: join(dir, 'cluster.yaml'),
    sipProxy: sipProxyOfNode(index),
  };
  writeFileSync(
    paths.nodeFile,
    `# stg-cluster demo: node file of ${node} (see config/node.example.yaml)\n${stringify(file)}`,
  );
  return paths.nodeFile;
}

/**
 * What `clusterctl --config FILE` needs: the cluster name and its lock members; and the data Redis, for
 * `clusterctl registrations` and `push test`.
 */
export function writeClusterctlConfig(dir: string, lockMembers: Endpoint[], dataStore: Endpoint): string {
  const path = join(dir, 'clusterctl.yaml');
  writeFileSync(
    path,
    `# clusterctl configuration for the stg-cluster demo\n${stringify({ cluster: DEMO_CLUSTER, lockMembers, dataStore })}`,
  );
  return path;
}

/**
 * One process the demo started, as DIR/pids.json lists it (so a test or an operator can check it is gone). The
 * agents start the `resource` processes (the worker); the demo lists each one it finds in a node's pidfiles, and
 * stops them after the agents, since a process resource outlives its agent by design.
 */
export interface StartedProcess {
  name: string;
  kind: 'lock-member' | 'data-store' | 'agent' | 'resource';
  pid: number;
}

/** Rewritten after every start, so that it lists every process even when the demo dies half-way through. */
export function writePids(dir: string, started: readonly StartedProcess[]): void {
  writeFileSync(join(dir, 'pids.json'), `${JSON.stringify({ demo: process.pid, started }, null, 2)}\n`);
}
