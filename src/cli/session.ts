import { silentLog } from '../silent-log.js';
import { ControlPlane } from '../store/control-plane.js';
import type { ClusterctlConfig } from './clusterctl-config.js';
import { readClusterStatus, type ClusterStatus } from './cluster-status.js';

/** clusterctl's connection to the lock members for one command. */
export class Session {
  readonly plane: ControlPlane;

  private constructor(readonly config: ClusterctlConfig) {
    this.plane = new ControlPlane(config.lockMembers, {
      cluster: config.cluster,
      commandTimeoutMs: 1000,
      ignoreWindowMs: () => 0, // a short-lived reader: every reachable member counts
      log: silentLog,
    });
  }

  static async open(config: ClusterctlConfig): Promise<Session> {
    const session = new Session(config);
    await Promise.all(session.plane.members.map((member) => connected(member.client)));
    return session;
  }

  status(): Promise<ClusterStatus> {
    return readClusterStatus(this.plane, this.config.cluster);
  }

  /**
   * Re-reads the status until `done` says what happened (a sentence) or the bound passes; the bound is what the
   * command promises, not a guess: the caller derives it from the lease ttl.
   */
  async waitFor(
    what: string,
    done: (status: ClusterStatus) => Promise<string | undefined> | string | undefined,
    timeoutMs: number,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last: ClusterStatus | undefined;
    for (;;) {
      last = await this.status().catch(() => last);
      const sentence = last ? await done(last) : undefined;
      if (sentence) return sentence;
      if (Date.now() > deadline) throw new CommandFailed(`not done within ${Math.round(timeoutMs / 1000)} s: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  close(): Promise<void> {
    return this.plane.close();
  }
}

/** A command that was refused or did not complete; clusterctl prints the message and exits 1. */
export class CommandFailed extends Error {}

/** Lock-member clients fail fast while connecting; give each a moment to connect (or fail) first. */
async function connected(client: ControlPlane['members'][number]['client']): Promise<void> {
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
