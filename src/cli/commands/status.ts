import { pino } from 'pino';
import { ControlPlane } from '../../store/control-plane.js';
import type { ClusterctlConfig } from '../clusterctl-config.js';
import { readClusterStatus } from '../cluster-status.js';
import { renderStatus } from '../render-status.js';

/** Prints the status; exit code 0 with a quorum, 2 without one (the output still says what could be read). */
export async function statusCommand(config: ClusterctlConfig, options: { json?: boolean }): Promise<number> {
  const plane = new ControlPlane(config.lockMembers, {
    cluster: config.cluster,
    commandTimeoutMs: 1000,
    ignoreWindowMs: () => 0,
    log: pino({ level: 'silent' }),
  });
  try {
    await Promise.all(plane.members.map((member) => waitForConnection(member.client)));
    const status = await readClusterStatus(plane, config.cluster);
    process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : `${renderStatus(status)}\n`);
    return status.quorum.reachable >= status.quorum.majority ? 0 : 2;
  } finally {
    await plane.close();
  }
}

/** Lock-member clients fail fast while connecting; give each a moment to connect (or fail) first. */
async function waitForConnection(client: ControlPlane['members'][number]['client']): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, 1000);
    client.once('ready', done);
    client.once('error', done);
  });
}
