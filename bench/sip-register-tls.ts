import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { ProxyProcess } from '../test/fixtures/sip/proxy-process.js';
import { createSipTestPki, type SipTestPki } from '../test/fixtures/sip/tls-certs.js';
import { waitFor } from '../test/helpers/wait.js';
import type { LoadJob, LoadMessage, LoadResult } from './sip-tls-load.js';
import { cpuSeconds, openFileLimit, option, quiet, round, settledRssKb } from './measure.js';

/*
 * The TLS part of `npm run bench -- sip-register` (`--transports tls` runs it alone; options --tls-connections C
 * (200), --tls-workers W (50), --tls-seconds S (10), --tls-flows N (10,000), --tls-users U (10,000), --key
 * ecdsa|rsa). A Node client in a child process of its own (bench/sip-tls-load.ts) loads one stg-sip-proxy TLS
 * listener whose registrar writes to the benchmark's Redis. Closed loop, not SIPp's stepped rates (SIPp here has no
 * TLS): each figure is one S-second run after 2 s of warm-up (a stepped search takes a minute or more), every
 * connection (or worker) keeping one REGISTER outstanding, so the figure is the throughput the proxy reached, with
 * latency p50/p95, failures (no 200 within 4 s; over 0.1% makes the figure 0) and a binding in Redis for every user
 * answered 200. A closed loop cannot overload the proxy: compare with the stepped UDP/TCP rates with care. On a
 * shared machine the rate is the proxy's share of the CPU; its CPU time per REGISTER is the figure that carries over.
 * 1. persistent: C connections registered once, then REGISTER refreshes on them (distinct users of a set of U);
 * 2. new connections: W workers, each connection resumes the session of the worker's previous one (a ticket),
 *    sends one REGISTER and closes: the rate of reconnecting devices, and the share of resumed handshakes;
 * 3. memory: a fresh proxy, N connections (full handshakes) each REGISTER a distinct user and stay open; the
 *    proxy's settled RSS against its settled RSS before (after a warm-up of 50 registered flows, closed again).
 */

const LOAD = fileURLToPath(new URL('./sip-tls-load.js', import.meta.url));
const FAILURE_LIMIT = 0.001;

/** The load generator child process: one job at a time. */
class LoadClient {
  private readonly child: ChildProcess = fork(LOAD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

  get pid(): number {
    return this.child.pid!;
  }

  /** Runs a job; `onWindow` is called when its measured window starts. */
  run(job: LoadJob, onWindow: () => void = () => undefined): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      const listen = (message: LoadMessage) => {
        if (message.event === 'window') return onWindow();
        this.child.off('message', listen);
        this.child.off('exit', exited);
        if (message.event === 'done') resolve(message.result);
        else reject(new Error(`the TLS load generator: ${message.event === 'error' ? message.message : 'released'}`));
      };
      const exited = (code: number | null) => reject(new Error(`the TLS load generator exited (${code})`));
      this.child.on('message', listen);
      this.child.once('exit', exited);
      // With a callback, a failed send (the child died) rejects here instead of an 'error' event that would end
      // this process before it stops the proxy and Redis.
      this.child.send(job, (error) => error && reject(error));
    });
  }

  /** Closes the flows a `hold` job opened. */
  release(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('message', () => resolve());
      this.child.send({ kind: 'release' } satisfies LoadJob, (error) => error && resolve());
    });
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

interface Phase {
  result: LoadResult;
  rate: number;
  bindings: number;
  proxyCpu: number;
  redisCpu: number;
  clientCpu: number;
  load: number;
  fine: boolean;
  why: string;
}

export interface TlsPart {
  lines: string[];
  figures: Record<string, unknown>;
}

export async function runTlsPart(args: string[], redis: Redis, redisPid: number): Promise<TlsPart> {
  const connections = option(args, '--tls-connections', 200);
  const workers = option(args, '--tls-workers', 50);
  const seconds = option(args, '--tls-seconds', 10);
  const flows = option(args, '--tls-flows', 10_000);
  const users = option(args, '--tls-users', 10_000);
  const key = args.includes('--key') && args[args.indexOf('--key') + 1] === 'rsa' ? 'rsa' : 'ecdsa';
  // Each process holds one descriptor per flow (the proxy, the load generator), plus their own few.
  if (openFileLimit() < flows + 300) {
    throw new Error(`${flows + 300} open files needed, the limit is ${openFileLimit()}: raise it (ulimit -n)`);
  }
  const pki = createSipTestPki();
  const client = new LoadClient();
  const start = () => startProxy(pki, key, flows, redis);
  try {
    let proxy = await start();
    const target = { port: proxy.listener('tls').port, ca: pki.ca.toString() };
    const measure = async (job: LoadJob): Promise<Phase> => {
      await quiet(proxy.pid);
      await redis.flushall();
      const load = round(loadavg()[0]!, 2);
      const pids = [proxy.pid, redisPid, client.pid];
      let before: number[] = [];
      const result = await client.run(job, () => (before = pids.map(cpuSeconds)));
      const used = pids.map((pid, i) => Math.round(((cpuSeconds(pid) - before[i]!) / result.seconds) * 100));
      const bindings = await redis.dbsize();
      const reasons = [
        result.failed > (result.ok + result.failed) * FAILURE_LIMIT ? `${result.failed} failed (${result.error})` : '',
        bindings < result.users ? `${result.users - bindings} users answered 200 without a binding` : '',
      ].filter(Boolean);
      const [proxyCpu, redisCpu, clientCpu] = used as [number, number, number];
      const rate = Math.round(result.ok / result.seconds);
      return {
        result,
        rate,
        bindings,
        proxyCpu,
        redisCpu,
        clientCpu,
        load,
        fine: !reasons.length,
        why: reasons.join(', '),
      };
    };
    let persistent: Phase;
    let renewed: Phase;
    try {
      const warm = seconds >= 4 ? 2 : 1;
      persistent = await measure({ kind: 'persistent', target, connections, warmSeconds: warm, seconds, users });
      process.stderr.write(`sip-register: TLS persistent ${describe(persistent)}\n`);
      renewed = await measure({ kind: 'reconnect', target, workers, warmSeconds: warm, seconds, users });
      process.stderr.write(`sip-register: TLS new connections ${describe(renewed)}\n`);
    } finally {
      await proxy.stop();
    }
    // A fresh proxy for the memory: what the flows cost, not what the load above left in the heap.
    proxy = await start();
    const memory = await (async () => {
      const fresh = { port: proxy.listener('tls').port, ca: target.ca };
      try {
        await client.run({ kind: 'hold', target: fresh, flows: 50, concurrency: 10 });
        await client.release();
        const baseline = await settledRssKb(proxy.pid);
        const heapBefore = await heapKb(proxy);
        await redis.flushall();
        const load = round(loadavg()[0]!, 2);
        const cpuBefore = cpuSeconds(proxy.pid);
        const held = await client.run({ kind: 'hold', target: fresh, flows, concurrency: 100 });
        const cpu = cpuSeconds(proxy.pid) - cpuBefore;
        const loaded = await settledRssKb(proxy.pid);
        const heapAfter = await heapKb(proxy);
        const bindings = await redis.dbsize();
        await client.release();
        const heap = (heapAfter.heap - heapBefore.heap) / held.ok;
        const external = (heapAfter.external - heapBefore.external) / held.ok;
        process.stderr.write(`sip-register: TLS ${held.ok} flows held, RSS ${baseline} kB -> ${loaded} kB\n`);
        return { baseline, loaded, held, cpu, bindings, heap, external, load };
      } finally {
        await proxy.stop();
      }
    })();
    const perFlowKb = (memory.loaded - memory.baseline) / memory.held.ok;
    const reuse = renewed.result.resumed / Math.max(1, renewed.result.ok);
    const lines = [
      `TLS (${key.toUpperCase()} certificate): a Node client in a child process -> one stg-sip-proxy TLS listener -> the same Redis;`,
      `  closed loop (one REGISTER outstanding per connection or worker), ${seconds} s measured after warm-up, Redis flushed before each;`,
      `  persistent: ${connections} connections, REGISTER refreshes for ${users} distinct users: ${describe(persistent)}`,
      `  new connections: ${workers} workers, each a new connection resuming the previous one's session, one REGISTER, closed: ` +
        `${describe(renewed)}, ${renewed.result.resumed} resumed (${round(reuse * 100)}%)`,
      `  ${memory.held.ok} registered TLS flows held (${memory.held.failed} failed; ${memory.bindings} bindings in Redis), opened at ` +
        `${Math.round(memory.held.ok / memory.held.seconds)}/s, proxy CPU ${round((memory.cpu / memory.held.ok) * 1000, 2)} ms each: ` +
        `RSS ${round(memory.baseline / 1024)} MB -> ${round(memory.loaded / 1024)} MB, ${round(perFlowKb)} kB per flow ` +
        `(Kamailio: about 61 kB per TLS connection), load ${memory.load} before`,
      `    of which V8 heap in use ${round(memory.heap)} kB, external (Buffers) ${round(memory.external)} kB per flow; ` +
        `the rest is native: OpenSSL's connection state and buffers, heap not yet collected, allocator slack`,
    ];
    return {
      lines,
      figures: {
        tls_register_per_s: persistent.fine ? persistent.rate : 0,
        tls_register_p50_ms: round(persistent.result.p50Ms ?? NaN, 2),
        tls_register_p95_ms: round(persistent.result.p95Ms ?? NaN, 2),
        tls_proxy_cpu_percent: persistent.proxyCpu,
        // Per operation: what holds on a machine shared with other work, where the rate is the proxy's share of it.
        tls_proxy_cpu_ms_per_register: cpuMsPer(persistent),
        tls_new_conn_register_per_s: renewed.fine ? renewed.rate : 0,
        tls_new_conn_p50_ms: round(renewed.result.p50Ms ?? NaN, 2),
        tls_new_conn_p95_ms: round(renewed.result.p95Ms ?? NaN, 2),
        tls_new_conn_proxy_cpu_percent: renewed.proxyCpu,
        tls_new_conn_proxy_cpu_ms: cpuMsPer(renewed),
        tls_session_reuse_ratio: round(reuse, 3),
        tls_flows_10k_mb: round((perFlowKb * 10_000) / 1024),
        tls_kb_per_registered_flow: round(perFlowKb),
        tls_heap_kb_per_registered_flow: round(memory.heap),
        tls_key: key,
        tls_method: 'closed-loop',
      },
    };
  } finally {
    client.stop();
    pki.remove();
  }
}

/** The proxy's CPU time per answered REGISTER (per connection, for new connections), ms. */
const cpuMsPer = (phase: Phase) => round((phase.proxyCpu * 10) / Math.max(1, phase.rate), 3);

function describe(phase: Phase): string {
  const { result } = phase;
  return (
    `${phase.rate}/s, proxy CPU ${cpuMsPer(phase)} ms each (${result.ok} answered 200, ${result.failed} failed, p50 ${round(result.p50Ms ?? NaN, 2)} ms, ` +
    `p95 ${round(result.p95Ms ?? NaN, 2)} ms; ${phase.bindings} bindings for ${result.users} users), proxy CPU ` +
    `${phase.proxyCpu}%, redis CPU ${phase.redisCpu}%, client CPU ${phase.clientCpu}%, load ${phase.load} before` +
    (phase.fine ? '' : `: not sustained (${phase.why})`)
  );
}

/**
 * The proxy's V8 heap in use and the memory outside it that V8 knows of (Buffers), in kB, from its /metrics (Node's
 * default metrics): what of the RSS growth is JavaScript objects, and what is native (OpenSSL's per-connection
 * state and buffers are in neither).
 */
async function heapKb(proxy: ProxyProcess): Promise<{ heap: number; external: number }> {
  const ready = proxy.logLines().find((line) => line['msg'] === 'stg-sip-proxy ready');
  const status = ready?.['status'] as { address: string; port: number } | undefined;
  if (!status) return { heap: NaN, external: NaN };
  const text = await (await fetch(`http://${status.address}:${status.port}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^stg_sip_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 1024;
  return { heap: metric('nodejs_heap_size_used_bytes'), external: metric('nodejs_external_memory_bytes') };
}

async function startProxy(pki: SipTestPki, key: 'ecdsa' | 'rsa', flows: number, redis: Redis): Promise<ProxyProcess> {
  const proxy = await ProxyProcess.start({
    listen: [
      {
        transport: 'tls',
        address: '127.0.0.1',
        port: 0,
        tls: { certFile: pki[key].certFile, keyFile: pki[key].keyFile },
      },
    ],
    limits: { exemptSources: ['127.0.0.1'], maxTcpConnections: flows + 1000 },
    dataStore: { host: redis.options.host, port: redis.options.port },
    registrar: { domains: ['sips.example.es'], maxInFlight: 5000 },
    status: { address: '127.0.0.1', port: 0 },
    log: { level: 'info' },
  });
  try {
    await waitFor('the registrar connected to Redis', () =>
      proxy.logLines().some((line) => /\(registrar\) connected$/.test(String(line['msg']))),
    );
  } catch (error) {
    await proxy.stop();
    throw error;
  }
  return proxy;
}
