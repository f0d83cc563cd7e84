import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { ClusterStatus } from '../../src/cli/cluster-status.js';
import { isLive, readProcStat } from '../../src/resources/proc.js';
import { CLUSTERCTL_MAIN } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { optionsToProxy, UdpClient } from '../fixtures/sip/clients.js';
import { sipPorts } from '../../src/demo/demo-sip.js';

const DEMO_MAIN = fileURLToPath(new URL('../../src/demo/main.js', import.meta.url));

interface PidsFile {
  demo: number;
  started: { name: string; kind: string; pid: number }[];
}

/**
 * Whether a process with this PID runs. A zombie has exited: the workers' parent (their agent) is gone before them,
 * so they are reaped by init, a little later than they exit.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProcStat(pid);
  return stat === undefined ? false : isLive(stat);
}

function readPids(dir: string): PidsFile | undefined {
  const path = join(dir, 'pids.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as PidsFile) : undefined;
}

/** The worker process each node's agent started, from its pidfile (`<pid> <start time>`). */
function workerPids(dir: string, resource = 'worker'): { node: string; pid: number }[] {
  return ['stg1', 'stg2', 'stg3'].flatMap((node) => {
    const path = join(dir, node, 'resources', `${resource}.pid`);
    if (!existsSync(path)) return [];
    return [{ node, pid: Number(readFileSync(path, 'utf8').trim().split(/\s+/)[0]) }];
  });
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
  'the demo runs a 3-node cluster with its resources that clusterctl sees, and SIGTERM stops everything it started',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'stg-demo-test-'));
    const demo = spawn(process.execPath, [DEMO_MAIN, '--state-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    t.teardown(() => {
      // Whatever happened above: nothing of this test may outlive it.
      for (const entry of readPids(dir)?.started ?? []) if (alive(entry.pid)) process.kill(entry.pid, 'SIGKILL');
      // A worker leads its own process group (the agent started it detached): the group goes with it.
      for (const entry of [...workerPids(dir), ...workerPids(dir, 'sip-proxy')]) {
        if (alive(entry.pid)) process.kill(-entry.pid, 'SIGKILL');
      }
      if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    const clusterctlConfig = join(dir, 'clusterctl.yaml');
    const started = (status: ClusterStatus | undefined, id: string) =>
      status?.resources
        .find((resource) => resource.id === id)
        ?.instances.filter((instance) => instance.state === 'started')
        .map((instance) => instance.node) ?? [];
    const status = await waitFor(
      'clusterctl status --json to report a leader, 3 online nodes, the dummy on the leader and the worker on all 3',
      async () => {
        if (demo.exitCode !== null) throw new Error(`the demo exited early (code ${demo.exitCode}):\n${output}`);
        if (!existsSync(clusterctlConfig)) return undefined;
        const { code, status: current } = await clusterctlStatus(clusterctlConfig);
        const online = current?.nodes.filter((node) => node.state === 'online').length ?? 0;
        const ready =
          code === 0 &&
          current?.leader &&
          online === 3 &&
          started(current, 'dummy').length === 1 &&
          started(current, 'worker').length === 3 &&
          started(current, 'sip-proxy').length === 3;
        return ready ? current : undefined;
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
    t.true(output.includes(`clusterctl.js --config ${clusterctlConfig} switchover`), output);

    // The dummy (an OCF agent, placement leader) runs on the leader alone; the worker (a process) on every node.
    const dummy = status.resources.find((resource) => resource.id === 'dummy');
    const worker = status.resources.find((resource) => resource.id === 'worker');
    t.like(dummy, { kind: 'ocf', placement: 'leader', managed: true, failcount: 0 });
    t.deepEqual(started(status, 'dummy'), [status.leader!.node]);
    t.deepEqual(dummy!.placedOn, [status.leader!.node]);
    t.like(worker, { kind: 'process', placement: 'every-node', managed: true, failcount: 0 });
    t.deepEqual(started(status, 'worker'), ['stg1', 'stg2', 'stg3']);
    t.deepEqual(worker!.whyNotRunning, []);
    t.true(existsSync(join(dir, 'dummy.journal')), 'the dummy journals its actions in DIR/dummy.journal');

    // stg-sip-proxy runs on every node (a process resource): each answers an OPTIONS on its UDP port, and each
    // agent reports it healthy on /health/sip-proxy (it reads the proxy's own status endpoint).
    t.like(
      status.resources.find((resource) => resource.id === 'sip-proxy'),
      {
        kind: 'process',
        placement: 'every-node',
        managed: true,
        failcount: 0,
      },
    );
    t.deepEqual(started(status, 'sip-proxy'), ['stg1', 'stg2', 'stg3']);
    const client = await UdpClient.open('127.0.0.1');
    t.teardown(() => client.close());
    for (const index of [0, 1, 2]) {
      const { sip } = sipPorts(index);
      // The agent reports the resource started once it spawned it; the proxy answers once it has bound its ports,
      // and serves its status after that: its health through the agent says it is ready.
      const health = await waitFor(`/health/sip-proxy of stg${index + 1} to answer 200`, async () => {
        const response = await fetch(`http://127.0.0.1:${8401 + index}/health/sip-proxy`);
        const body = await response.text();
        return response.status === 200 ? body : undefined;
      });
      t.like(JSON.parse(health), { node: `stg${index + 1}`, status: 'ok', resource: { state: 'started' } });
      const callId = `demo-options-${index}`;
      await client.send(optionsToProxy(callId, 'UDP', { address: '127.0.0.1', port: sip }), '127.0.0.1', sip);
      t.like(await client.next(`the OPTIONS answer of stg${index + 1}`), { status: 200, callId });
    }
    t.true(output.includes(`registrations`), 'the banner says how to see the registrations');

    // The workers outlive their agents by design (a restarted agent adopts them): the demo must stop them itself.
    const workers = workerPids(dir);
    t.deepEqual(
      workers.map((entry) => entry.node),
      ['stg1', 'stg2', 'stg3'],
    );
    t.true(
      workers.every((entry) => alive(entry.pid)),
      'every worker named in a pidfile runs',
    );

    // The demo lists the workers in pids.json as it finds them in the pidfiles (it looks every half second).
    const proxies = workerPids(dir, 'sip-proxy');
    t.is(proxies.length, 3);
    const pids = await waitFor('DIR/pids.json to list the 3 workers and the 3 proxies', () => {
      const current = readPids(dir);
      const listed = new Set(current?.started.map((entry) => entry.pid));
      return [...workers, ...proxies].every((entry) => listed.has(entry.pid)) ? current : undefined;
    });
    t.is(pids.demo, demo.pid!);
    t.deepEqual(
      pids.started
        .filter((entry) => entry.kind !== 'resource')
        .map((entry) => entry.kind)
        .sort(),
      ['agent', 'agent', 'agent', 'data-store', 'lock-member', 'lock-member', 'lock-member'],
    );
    t.deepEqual(
      pids.started
        .filter((entry) => entry.kind === 'resource')
        .map((entry) => entry.name)
        .sort(),
      [
        'sip-proxy on stg1',
        'sip-proxy on stg2',
        'sip-proxy on stg3',
        'worker on stg1',
        'worker on stg2',
        'worker on stg3',
      ],
    );
    t.true(
      pids.started.every((entry) => alive(entry.pid)),
      'every process the demo lists runs',
    );

    demo.kill('SIGTERM');
    // Bounded: agents get 5 s to leave gracefully, then SIGKILL; the workers and the Redis servers the same.
    const exit = await waitFor(
      'the demo to exit after SIGTERM',
      () =>
        demo.exitCode !== null || demo.signalCode !== null
          ? { code: demo.exitCode, signal: demo.signalCode }
          : undefined,
      { timeoutMs: 30_000 },
    );
    t.deepEqual(exit, { code: 0, signal: null }, output);
    t.deepEqual(
      pids.started.filter((entry) => alive(entry.pid)).map((entry) => `${entry.name} (pid ${entry.pid})`),
      [],
      'no process the demo started is left',
    );
    t.deepEqual(
      workers.filter((entry) => alive(entry.pid)).map((entry) => `worker on ${entry.node} (pid ${entry.pid})`),
      [],
      'no worker is left',
    );
    t.deepEqual(workerPids(dir), [], 'the demo removed the pidfiles of the workers it stopped');
    t.deepEqual(workerPids(dir, 'sip-proxy'), [], 'and of the proxies');
    t.true(existsSync(clusterctlConfig), 'a --state-dir given by the user is kept');
  },
);
