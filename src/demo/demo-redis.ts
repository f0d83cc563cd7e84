import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { LOCK_MEMBER_SETTINGS, freePort } from '../local/redis-server.js';
import { ManagedProcess, describeExit, type ManagedProcessOptions } from './managed-process.js';

export interface DemoRedis {
  process: ManagedProcess;
  host: string;
  port: number;
  dir: string;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 10_000;

/**
 * Starts one redis-server for the demo, in its own folder (data and redis.log), on a free loopback port.
 * Lock members get the settings every lock member needs (LOCK_MEMBER_SETTINGS: appendonly, fsync always,
 * noeviction); the data Redis keeps nothing on disk. src/local/redis-server.ts does the same for tests but runs
 * the server in the caller's process group, where a terminal Ctrl-C would stop it before the agents.
 */
export async function startDemoRedis(options: {
  name: string;
  dir: string;
  durable: boolean;
  onUnexpectedExit: ManagedProcessOptions['onUnexpectedExit'];
  /** Called as soon as the process exists (before it answers), so that it is stopped even if it never does. */
  onSpawned: (process: ManagedProcess) => void;
}): Promise<DemoRedis> {
  const { name, dir, durable, onUnexpectedExit } = options;
  mkdirSync(dir, { recursive: true });
  const port = await freePort(HOST);
  const settings = durable ? LOCK_MEMBER_SETTINGS : ['--appendonly', 'no', '--maxmemory-policy', 'noeviction'];
  const logPath = join(dir, 'redis.log');
  const child = await ManagedProcess.spawn({
    name: `${name} ${HOST}:${port}`,
    command: 'redis-server',
    args: ['--port', String(port), '--bind', HOST, '--dir', dir, '--save', '', '--daemonize', 'no', ...settings],
    logPath,
    onUnexpectedExit,
  });
  options.onSpawned(child);
  const failed = child.exited.then((exit) => {
    throw new Error(`${child.name} exited at start (${describeExit(exit)}); see ${logPath}`);
  });
  failed.catch(() => undefined);
  await Promise.race([waitForPing(port, () => child.running), failed]);
  return { process: child, host: HOST, port, dir };
}

/** Resolves once the server answers PING; rejects when it stopped running or did not answer in time. */
async function waitForPing(port: number, running: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (running()) {
    const client = new Redis({
      host: HOST,
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`redis-server on ${HOST}:${port} did not answer within ${READY_TIMEOUT_MS} ms`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`redis-server on ${HOST}:${port} exited before answering`);
}
