import type { ClusterctlConfig } from '../clusterctl-config.js';
import { renderStatus } from '../render-status.js';
import { Session } from '../session.js';

/** Prints the status; exit code 0 with a quorum, 2 without one (the output still says what could be read). */
export async function statusCommand(config: ClusterctlConfig, options: { json?: boolean }): Promise<number> {
  const session = await Session.open(config);
  try {
    const status = await session.status();
    process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : `${renderStatus(status)}\n`);
    return status.quorum.reachable >= status.quorum.majority ? 0 : 2;
  } finally {
    await session.close();
  }
}
