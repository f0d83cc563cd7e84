import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TIMINGS } from '../config/defaults.js';
import type { DemoCluster } from './demo-cluster.js';
import { DEMO_CLUSTER } from './demo-files.js';

const CLUSTERCTL_MAIN = fileURLToPath(new URL('../cli/clusterctl.js', import.meta.url));

/** The path to type from the current folder: `dist/src/cli/clusterctl.js` from the repository root. */
function shortPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') || isAbsolute(fromHere) ? path : fromHere;
}

/** What the demo prints once everything runs: what it started, and how to look at it and break it. */
export function describeDemo(demo: DemoCluster, temporary: boolean): string {
  const clusterctl = `node ${shortPath(CLUSTERCTL_MAIN)} --config ${demo.clusterctlConfig}`;
  const lines = [
    '',
    `stg-cluster demo: cluster "${DEMO_CLUSTER}" on 127.0.0.1 (demo pid ${process.pid})`,
    `State folder: ${demo.dir}${temporary ? ' (temporary: removed when the demo stops)' : ' (kept when the demo stops)'}`,
    '',
    'Started:',
    ...demo.lockMembers.map(
      (member) => `  ${member.process.name.padEnd(30)} pid ${member.process.pid}  data ${member.dir}`,
    ),
    ...(demo.dataStore
      ? [`  ${demo.dataStore.process.name.padEnd(30)} pid ${demo.dataStore.process.pid}  (not persisted)`]
      : []),
    ...demo.agents.map(
      (agent) => `  ${`agent ${agent.node}`.padEnd(30)} pid ${agent.process.pid}  node file ${agent.nodeFile}`,
    ),
    '',
    'Status (from another terminal, in this folder):',
    `  ${clusterctl} status`,
    `  ${clusterctl} status --json`,
    '',
    'Logs (one JSON line per event) and leader journals:',
    ...demo.agents.map((agent) => `  ${agent.log}  ${agent.journal}`),
    `  each Redis logs to redis.log in its data folder`,
    '',
    'Try a failover (the leader is named on the status lines below, its pid is listed above):',
    `  kill -9 <leader pid>   crash: the others wait for the lease to expire (leaseTtlMs ${DEFAULT_TIMINGS.leaseTtlMs} ms), then one takes over`,
    '  kill <leader pid>      graceful: the leader releases its lease and names its successor',
    '  Killing a lock member shows the quorum change; killing a majority of them leaves the cluster without a leader.',
    '  (The demo does not restart what you kill; start it again with a fresh `npm run demo`.)',
    '',
    `Stop: Ctrl-C, or kill ${process.pid}: stops everything the demo started (pids in ${demo.dir}/pids.json).`,
    '',
    'Status changes:',
  ];
  return lines.join('\n');
}
