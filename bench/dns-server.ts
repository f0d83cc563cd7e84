import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as dnsPacket from 'dns-packet';
import { stringify } from 'yaml';
import type { NodeView } from '../src/cluster/membership.js';
import { parseDefinition } from '../src/config/load.js';
import { DnsPublisher } from '../src/dns/publisher.js';
import { freePort, startRedisServers, type RedisServer } from '../src/local/redis-server.js';
import { ControlPlane } from '../src/store/control-plane.js';
import { quietLog } from '../test/helpers/cluster.js';
import { waitFor } from '../test/helpers/wait.js';

export const DNS_MAIN = fileURLToPath(new URL('../src/dns/main.js', import.meta.url));

/**
 * One stg-dns process on 127.0.0.1 serving a nodes-mode set of three nodes, published by the leader's publisher
 * into one lock member: what `bench dns` throws dnsperf at. `close()` ends everything it started, by PID.
 */
export class BenchDnsServer {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly member: RedisServer,
    private readonly plane: ControlPlane,
    private readonly child: ChildProcess,
  ) {}

  /** `nodeArgs`: options for the server's node process (e.g. --cpu-prof to see where its time goes). */
  static async start(nodeArgs: string[] = []): Promise<BenchDnsServer> {
    const dir = mkdtempSync(join(tmpdir(), 'stg-bench-dns-'));
    const [member] = await startRedisServers(1, dir);
    const lockMembers = [{ host: member!.host, port: member!.port }];
    const plane = new ControlPlane(lockMembers, {
      cluster: 'bench',
      commandTimeoutMs: 500,
      ignoreWindowMs: () => 0,
      log: quietLog,
    });
    await waitFor('the lock member identified', () => plane.members.every((entry) => entry.counts));
    const nodes = ['stg1', 'stg2', 'stg3'].map(
      (id, index) =>
        ({
          id,
          state: 'online',
          heartbeatAgeMs: 0,
          heartbeat: { address: `127.0.0.${11 + index}`, resources: [] },
        }) as unknown as NodeView,
    );
    const definition = parseDefinition({ cluster: 'bench', service: { name: 'sips.example.es' } }, 'bench');
    await new DnsPublisher(plane, 'stg1').publish(1, nodes, definition, () => undefined);
    writeFileSync(join(dir, 'cluster.yaml'), stringify({ cluster: 'bench', service: { name: 'sips.example.es' } }));
    writeFileSync(
      join(dir, 'node.yaml'),
      stringify({
        cluster: 'bench',
        node: { id: 'stg1', address: '127.0.0.1' },
        lockMembers,
        dataStore: { host: '127.0.0.1', port: 6379 },
        paths: { stateDir: join(dir, 'state') },
        definitionFile: 'cluster.yaml',
      }),
    );
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [...nodeArgs, DNS_MAIN, '--node-file', join(dir, 'node.yaml'), '--port', String(port)],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const server = new BenchDnsServer(dir, port, member!, plane, child);
    process.once('exit', () => server.killNow());
    await waitFor('the server answering from the published set', () => answersNoError(port), { timeoutMs: 10_000 });
    return server;
  }

  get pid(): number {
    return this.child.pid!;
  }

  private killNow(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    if (this.member.pid) {
      try {
        process.kill(this.member.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      await new Promise((resolve) => this.child.once('exit', resolve));
    }
    await this.plane.close();
    await this.member.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One A query to the server: true when it answered NOERROR within 200 ms (SERVFAIL until a set is read). */
async function answersNoError(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 200);
      socket.once('message', (message) => {
        clearTimeout(timer);
        resolve((message.readUInt16BE(2) & 0x0f) === 0);
      });
      socket.send(
        dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'sips.example.es', type: 'A' }] }),
        port,
        '127.0.0.1',
      );
    });
  } finally {
    socket.close();
  }
}
