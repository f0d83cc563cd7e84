#!/usr/bin/env node
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { ControlPlane } from '../store/control-plane.js';
import { describeDemo } from './banner.js';
import { DemoCluster } from './demo-cluster.js';
import { DEMO_CLUSTER } from './demo-files.js';
import { describeExit, type ManagedProcess, type ProcessExit } from './managed-process.js';
import { StatusWatch, clock } from './status-watch.js';

/*
 * The local demo (`npm run demo`): lock members, a data Redis and agents on loopback, the status as it changes,
 * and everything stopped again on Ctrl-C or SIGTERM. A terminal UI: plain lines on stdout, no JSON logging.
 */

interface DemoCliOptions {
  stateDir?: string;
  nodes: number;
  members: number;
  netns?: boolean;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function wholeNumber(max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > max)
      throw new InvalidArgumentError(`expected a whole number in 1-${max}.`);
    return parsed;
  };
}

async function runDemo(options: DemoCliOptions): Promise<void> {
  const temporary = options.stateDir === undefined;
  const dir = options.stateDir === undefined ? mkdtempSync(join(tmpdir(), 'stg-demo-')) : resolve(options.stateDir);
  say(
    `stg-cluster demo: starting ${options.members} lock member(s), a data Redis and ${options.nodes} agent(s) in ${dir}`,
  );

  let stopping: Promise<never> | undefined;
  const reportExit = (child: ManagedProcess, exit: ProcessExit) => {
    if (stopping) return;
    const isAgent = demo.agents.some((agent) => agent.process === child);
    const what = isAgent
      ? exit.code === 78
        ? `invalid configuration, see ${join(dir, `${child.name}.log`)}`
        : 'the demo keeps going: watch another node take over'
      : 'the demo keeps going: watch the quorum';
    say(`${clock()} ${child.name} (pid ${child.pid}) exited (${describeExit(exit)}), not stopped by the demo; ${what}`);
  };
  const demo = new DemoCluster({ dir, nodes: options.nodes, members: options.members, onUnexpectedExit: reportExit });
  // The status display exists only once everything started; shutdown() may run before that.
  const display: { plane?: ControlPlane; watch?: StatusWatch } = {};
  const starting = demo.start();

  // Stops in order (status reader, agents, Redis servers) whatever the reason; a second signal changes nothing.
  const shutdown = (reason: string, exitCode: number): Promise<never> =>
    (stopping ??= (async () => {
      say(`${clock()} ${reason}: stopping everything the demo started`);
      await starting.catch(() => undefined); // a start in progress finishes first, so nothing it spawns is missed
      await display.watch?.stop();
      await display.plane?.close();
      for (const note of await demo.stop()) say(`  ${note}`);
      if (temporary) rmSync(dir, { recursive: true, force: true });
      say(temporary ? `stopped; removed ${dir}` : `stopped; files kept in ${dir}`);
      process.exit(exitCode);
    })());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal, 0));
  process.on('uncaughtException', (error) => {
    say(`demo: unexpected error, please report it as a bug: ${error.stack ?? error.message}`);
    void shutdown('unexpected error', 1);
  });

  try {
    await starting;
  } catch (error) {
    const message = (error as Error).message;
    const hint =
      message.includes('redis-server') && message.includes('ENOENT')
        ? ' (is redis-server installed? `npm run demo` installs it through ops/bootstrap.sh)'
        : '';
    say(`demo: could not start: ${message}${hint}`);
    return void shutdown('start failed', 1);
  }
  if (stopping) return;

  const plane = new ControlPlane(demo.lockEndpoints, {
    cluster: DEMO_CLUSTER,
    commandTimeoutMs: 500,
    // The watcher only reads; Redlock's restart rule is the agents' business, not the display's.
    ignoreWindowMs: () => 0,
    log: pino({ level: 'silent' }),
  });
  say(describeDemo(demo, temporary));
  display.plane = plane;
  display.watch = new StatusWatch(plane, DEMO_CLUSTER, say);
  display.watch.start();
}

const program = new Command('stg-demo')
  .description('run a local stg-cluster on 127.0.0.1: lock members, a data Redis and agents; Ctrl-C stops it all')
  .option(
    '--state-dir <dir>',
    'folder for node files, logs, journals and Redis data (kept on exit; default: a new temporary folder, removed on exit)',
  )
  .option('--nodes <n>', 'number of agents, stg1..stgN', wholeNumber(9), 3)
  .option('--members <n>', 'number of lock members (redis-server)', wholeNumber(9), 3)
  .option('--netns', 'as root: 2 or 3 nodes, an arbiter and a client in network namespaces, with guards and the VIP')
  .action(async (options: DemoCliOptions) => {
    if (!options.netns) return runDemo(options);
    if (options.nodes !== 2 && options.nodes !== 3) {
      program.error('error: --netns runs 2 or 3 nodes (--nodes 2 or 3); the lock members are one per host');
    }
    // Loaded only here: the bed's modules (test helpers) install process-wide exit and signal handlers.
    const { runNetnsDemo } = await import('./netns-demo.js');
    return runNetnsDemo({ nodes: options.nodes as 2 | 3, say });
  });

await program.parseAsync();
