import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { ClusterStatus } from '../../src/cli/cluster-status.js';
import { CLUSTERCTL_MAIN } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const DEMO_MAIN = fileURLToPath(new URL('../../src/demo/main.js', import.meta.url));

interface PidsFile {
  demo: number;
  started: { name: string; kind: string; pid: number }[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPids(dir: string): PidsFile | undefined {
  const path = join(dir, 'pids.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as PidsFile) : undefined;
}

/** `clusterctl --config FILE status --json`, run as an operator would; resolves with its exit code and output. */
function clusterctlStatus(config: string): Promise<{ code: number; status: ClusterStatus | undefined }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLUSTERCTL_MAIN, '--config', config, 'status', '--json'],
      { timeout: 10_000 },
      (error, stdout) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        let status: ClusterStatus | undefined;
        try {
          status = JSON.parse(stdout) as ClusterStatus;
        } catch {
          status = undefined;
        }
        resolve({ code, status });
      },
    );
  });
}

test.serial(
  'the demo runs a 3-node cluster that clusterctl sees, and SIGTERM stops everything it started',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'stg-demo-test-'));
    const demo = spawn(process.execPath, [DEMO_MAIN, '--state-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    t.teardown(() => {
      // Whatever happened above: nothing of this test may outlive it.
      for (const entry of readPids(dir)?.started ?? []) if (alive(entry.pid)) process.kill(entry.pid, 'SIGKILL');
      if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    const clusterctlConfig = join(dir, 'clusterctl.yaml');
    const status = await waitFor(
      'clusterctl status --json to report a leader and 3 online nodes',
      async () => {
        if (demo.exitCode !== null) throw new Error(`the demo exited early (code ${demo.exitCode}):\n${output}`);
        if (!existsSync(clusterctlConfig)) return undefined;
        const { code, status: current } = await clusterctlStatus(clusterctlConfig);
        const online = current?.nodes.filter((node) => node.state === 'online').length ?? 0;
        return code === 0 && current?.leader && online === 3 ? current : undefined;
      },
      { timeoutMs: 30_000, everyMs: 200 },
    );

    t.is(status.cluster, 'demo');
    t.truthy(status.leader);
    t.regex(status.leader!.node, /^stg[123]$/);
    t.true(Number.isInteger(status.leader!.term) && status.leader!.term >= 1);
    t.like(status.quorum, { reachable: 3, total: 3 });
    t.is(status.members.length, 3);
    t.deepEqual(
      status.nodes.map((node) => node.id),
      ['stg1', 'stg2', 'stg3'],
    );
    t.true(output.includes(`clusterctl.js --config ${clusterctlConfig} status`), output);

    const pids = readPids(dir);
    t.truthy(pids);
    t.is(pids!.demo, demo.pid!);
    t.deepEqual(pids!.started.map((entry) => entry.kind).sort(), [
      'agent',
      'agent',
      'agent',
      'data-store',
      'lock-member',
      'lock-member',
      'lock-member',
    ]);
    t.true(
      pids!.started.every((entry) => alive(entry.pid)),
      'every process the demo lists runs',
    );

    demo.kill('SIGTERM');
    // Bounded: agents get 5 s to leave gracefully, then SIGKILL; Redis servers the same.
    const exit = await waitFor(
      'the demo to exit after SIGTERM',
      () =>
        demo.exitCode !== null || demo.signalCode !== null
          ? { code: demo.exitCode, signal: demo.signalCode }
          : undefined,
      { timeoutMs: 20_000 },
    );
    t.deepEqual(exit, { code: 0, signal: null }, output);
    t.deepEqual(
      pids!.started.filter((entry) => alive(entry.pid)).map((entry) => `${entry.name} (pid ${entry.pid})`),
      [],
      'no process the demo started is left',
    );
    t.true(existsSync(clusterctlConfig), 'a --state-dir given by the user is kept');
  },
);
