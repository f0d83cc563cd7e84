import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TIMINGS } from '../config/defaults.js';
import type { DemoCluster } from './demo-cluster.js';
import { DEMO_CLUSTER, DEMO_SERVICE, FIRST_HTTP_PORT, dummyJournalPath } from './demo-files.js';
import { REGISTER_SCENARIO, SIP_PROXY_FILE, sipPorts } from './demo-sip.js';

const CLUSTERCTL_MAIN = fileURLToPath(new URL('../cli/clusterctl.js', import.meta.url));

/** The path to type from the current folder: `dist/src/cli/clusterctl.js` from the repository root. */
function shortPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') || isAbsolute(fromHere) ? path : fromHere;
}

/** "127.0.0.1:5070 (stg1), 127.0.0.1:5072 (stg2)...". */
function sipList(demo: DemoCluster): string {
  return demo.agents.map((agent, index) => `127.0.0.1:${sipPorts(index).sip} (${agent.node})`).join(', ');
}

/** What the demo prints once everything runs: what it started, and how to look at it and break it. */
export function describeDemo(demo: DemoCluster, temporary: boolean): string {
  const clusterctl = `node ${shortPath(CLUSTERCTL_MAIN)} --config ${demo.clusterctlConfig}`;
  const http = (index: number) => `127.0.0.1:${FIRST_HTTP_PORT + index}`;
  const first = demo.agents[0]?.node ?? 'stg1';
  const second = demo.agents[1]?.node ?? first;
  const last = demo.agents.at(-1)?.node ?? first;
  const try_ = (what: string, ...commands: string[]) => [`  ${what}`, ...commands.map((command) => `    ${command}`)];
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
      (agent, index) =>
        `  ${`agent ${agent.node}`.padEnd(30)} pid ${agent.process.pid}  node file ${agent.nodeFile}  http ${http(index)}`,
    ),
    '',
    `Resources (defined in ${demo.dir}/cluster.yaml, started by the agents):`,
    `  dummy   OCF agent resource-agents/dummy, placement leader: runs on the leader only, moves with leadership.`,
    `          Every action it performs is journaled in ${dummyJournalPath(demo.dir)} (ms node term action rc).`,
    `  worker  a small process, placement every-node: one on each node, in its own process group, logging a line`,
    `          every 5 s to ${demo.dir}/stgN/resources/worker.log (pidfile worker.pid beside it).`,
    `  sip-proxy stg-sip-proxy, placement every-node: SIP on UDP and TCP ${sipList(demo)};`,
    `          registrar of ${DEMO_SERVICE.name} on the data Redis (Path with the node as proxyId); its status for`,
    `          the agent on the next port (${demo.agents.map((_, index) => sipPorts(index).status).join(', ')}).`,
    `          File ${demo.dir}/stgN/${SIP_PROXY_FILE}, log ${demo.dir}/stgN/resources/sip-proxy.log.`,
    '',
    'SIP: register a device on stg1 with SIPp, then see it in the data Redis:',
    `  sipp -sf ${demo.dir}/${REGISTER_SCENARIO} -s '6109*01' -m 1 -t u1 127.0.0.1:${sipPorts(0).sip}`,
    `  ${clusterctl} registrations`,
    `  ${clusterctl} registrations '6109*01@${DEMO_SERVICE.name}'`,
    `  curl -s ${http(0)}/health/sip-proxy   the proxy's health through the agent (200 ok, 503 with a reason)`,
    `  curl -s ${http(0)}/metrics | grep ^stg_sip   the proxy's metrics, appended to the agent's`,
    '',
    'Status (from another terminal, in this folder):',
    `  ${clusterctl} status`,
    `  ${clusterctl} status --json`,
    '',
    'Cluster events (leadership, resources, operator commands), then new ones as they come:',
    `  ${clusterctl} events --follow`,
    '',
    'Logs (one JSON line per event) and leader journals:',
    ...demo.agents.map((agent) => `  ${agent.log}  ${agent.journal}`),
    `  each Redis logs to redis.log in its data folder`,
    '',
    'Each agent answers HTTP (GET) on its port; the leader check is what a load balancer would ask:',
    `  curl -s ${http(0)}/leader          200 on the leader, 503 on the others (try each port)`,
    `  curl -s ${http(0)}/health          200 while ${first} sees a majority of the lock members`,
    `  curl -s ${http(0)}/health/worker   200 while the worker runs on ${first}`,
    `  curl -s ${http(0)}/metrics         Prometheus metrics: curl -s ${http(0)}/metrics | grep ^stg_ha`,
    '',
    'Operator commands: each says what will happen, waits for it, and exits 1 with the reason when refused or not done.',
    ...try_(
      'Switchover: the leader stops the dummy and hands over (to the next eligible node, or to the one named):',
      `${clusterctl} switchover`,
      `${clusterctl} switchover --to ${last}`,
    ),
    ...try_(
      `Standby: ${second} stops its worker (and hands leadership over if it leads); unstandby takes it back:`,
      `${clusterctl} standby ${second}`,
      `${clusterctl} unstandby ${second}`,
    ),
    ...try_(
      'Maintenance: resources keep running and are monitored; nothing is started, stopped or moved until off:',
      `${clusterctl} maintenance on`,
      `${clusterctl} maintenance off`,
    ),
    "  A failure: each echo makes the dummy's next monitor on the leader fail (OCF_ERR_GENERIC) and it is restarted",
    '  in place; at its 3rd failure within 600 s the leader hands over and may not lead until cleanup forgets them:',
    `    echo failed > ${demo.dir}/<leader>/rsctmp/dummy-dummy.state`,
    `    ${clusterctl} cleanup dummy`,
    ...try_(
      `A worker that dies is restarted in place (and its failure counted): kill one by the pid in its pidfile:`,
      `kill $(cut -d' ' -f1 ${demo.dir}/${second}/resources/worker.pid)`,
    ),
    '',
    'Try a failover (the leader is named on the status lines below, its pid is listed above):',
    `  kill -9 <leader pid>   crash: the others wait for the lease to expire (leaseTtlMs ${DEFAULT_TIMINGS.leaseTtlMs} ms), then one takes over`,
    '  kill <leader pid>      graceful: the leader stops the dummy, releases its lease and names its successor',
    '  A stopped or killed agent leaves its worker running (a restarted agent would adopt it); the demo stops it at the end.',
    '  Killing a lock member shows the quorum change; killing a majority of them leaves the cluster without a leader.',
    '  (The demo does not restart what you kill; start it again with a fresh `npm run demo`.)',
    '',
    `Stop: Ctrl-C, or kill ${process.pid}: stops everything the demo started, workers included (pids in ${demo.dir}/pids.json).`,
    '',
    'Status changes:',
  ];
  return lines.join('\n');
}
