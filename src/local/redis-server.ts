import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * A redis-server process started by us (demo, tests, benchmarks) with the settings a lock member needs:
 * every write fsynced before it is answered, nothing ever evicted, so a restart forgets nothing.
 */
export interface RedisServerOptions {
  dir: string;
  port?: number;
  host?: string;
  /** Lock members persist every write; a data Redis used only in tests may skip it. */
  durable?: boolean;
}

export const LOCK_MEMBER_SETTINGS = [
  '--appendonly',
  'yes',
  '--appendfsync',
  'always',
  '--maxmemory-policy',
  'noeviction',
];

/** The command line of a redis-server in the foreground, on one address and port, its data in `dir`. */
export function redisServerArgs(options: { port: number; bind: string; dir: string; settings: string[] }): string[] {
  const { port, bind, dir, settings } = options;
  return ['--port', String(port), '--bind', bind, '--dir', dir, '--save', '', '--daemonize', 'no', ...settings];
}

export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly host: string,
    readonly port: number,
    readonly dir: string,
    private readonly durable: boolean,
  ) {}

  static async start(options: RedisServerOptions): Promise<RedisServer> {
    const host = options.host ?? '127.0.0.1';
    const server = new RedisServer(host, options.port ?? (await freePort(host)), options.dir, options.durable ?? true);
    await server.restart();
    return server;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process again on the same port with the same data folder (its persisted data kept). */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`redis-server on port ${this.port} is already running`);
    mkdirSync(this.dir, { recursive: true });
    const settings = this.durable ? LOCK_MEMBER_SETTINGS : ['--appendonly', 'no', '--maxmemory-policy', 'noeviction'];
    const child = spawn(
      'redis-server',
      redisServerArgs({ port: this.port, bind: this.host, dir: this.dir, settings }),
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`redis-server on port ${this.port} exited with ${code}: ${stderr.trim()}`)),
      ),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPing(this.host, this.port), exited]);
  }

  /** Stops the process with the given signal and waits for its exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** Deletes the persisted data; only while stopped, as a disk loss would. */
  wipe(): void {
    if (this.running) throw new Error('wipe a stopped redis-server only');
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }
}

export async function startRedisServers(count: number, baseDir: string, durable = true): Promise<RedisServer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      RedisServer.start({ dir: join(baseDir, `redis-${index + 1}`), durable }),
    ),
  );
}

/** A TCP port nothing listens on right now (the kernel picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForPing(host: string, port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`redis-server on ${host}:${port} did not answer within 10 s`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      client.disconnect();
    }
  }
}
