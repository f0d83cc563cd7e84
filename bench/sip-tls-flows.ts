import { readFileSync } from 'node:fs';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { optionsToProxy } from '../test/fixtures/sip/clients.js';
import { ProxyProcess } from '../test/fixtures/sip/proxy-process.js';
import { createSipTestPki } from '../test/fixtures/sip/tls-certs.js';
import { waitFor } from '../test/helpers/wait.js';
import type { BenchResult } from './run.js';

/*
 * `npm run bench -- sip-tls-flows [--flows N] [--concurrency C] [--key ecdsa|rsa] [--resumed M]`: the memory of N
 * idle TLS flows (default 10,000) held by one stg-sip-proxy process, and the cost of opening them. A client in this
 * process opens N TLS connections to the proxy's TLS listener (full handshakes, C at a time), sends one OPTIONS on
 * each and waits for its 200, so every flow has been used once; then it waits for the proxy's memory to settle and
 * reads its RSS (/proc/PID/status) against the RSS it had before, with the same listener idle. Then M connections
 * (default 2,000) are opened again with the session of an earlier one (TLS resumption), for the rate a reconnecting
 * client costs. Published for Kamailio: about 61 kB per TLS connection.
 */

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  const value = at >= 0 ? Number(args[at + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** The soft limit on open files (this process, and the proxy it starts, which inherits it). */
function openFileLimit(): number {
  const line = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return line === undefined || line === 'unlimited' ? Infinity : Number(line);
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** RSS once it stopped moving (the proxy's GC has run after the burst): the last of 3 readings within 1%. */
async function settledRssKb(pid: number): Promise<number> {
  const readings: number[] = [];
  return waitFor(
    'the proxy RSS to settle',
    () => {
      readings.push(rssKb(pid));
      const last = readings.slice(-3);
      const spread = last.length === 3 ? Math.max(...last) / Math.min(...last) - 1 : 1;
      return spread < 0.01 ? last[2] : undefined;
    },
    { timeoutMs: 30_000, everyMs: 1_000 },
  );
}

interface Flow {
  socket: TLSSocket;
  session?: Buffer;
}

/** Opens a TLS flow, sends OPTIONS to the proxy and resolves once the 200 is back (the flow stays open). */
function openFlow(port: number, ca: Buffer, index: number, session?: Buffer): Promise<Flow> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({
      host: '127.0.0.1',
      port,
      ca,
      servername: 'localhost',
      ...(session ? { session } : {}),
    });
    const flow: Flow = { socket };
    let answer = '';
    const timer = setTimeout(() => reject(new Error(`flow ${index}: no 200 within 30 s`)), 30_000);
    socket.on('session', (ticket: Buffer) => (flow.session = ticket));
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('secureConnect', () =>
      socket.write(optionsToProxy(`flow-${index}`, 'TLS', { address: '127.0.0.1', port })),
    );
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (!answer.includes('\r\n\r\n')) return;
      clearTimeout(timer);
      if (!answer.startsWith('SIP/2.0 200 ')) reject(new Error(`flow ${index}: ${answer.slice(0, 40)}`));
      else resolve(flow);
    });
  });
}

/** Opens `count` flows, `concurrency` at a time; returns them and the seconds it took. */
async function openFlows(count: number, concurrency: number, open: (index: number) => Promise<Flow>) {
  const flows: Flow[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) flows.push(await open(next++));
    }),
  );
  return { flows, seconds: (performance.now() - started) / 1000 };
}

export async function run(args: string[]): Promise<BenchResult> {
  const count = option(args, '--flows', 10_000);
  const concurrency = option(args, '--concurrency', 100);
  const resumedCount = option(args, '--resumed', 2_000);
  const key = args.includes('--key') && args[args.indexOf('--key') + 1] === 'rsa' ? 'rsa' : 'ecdsa';
  // One descriptor per flow on each side, plus the resumed ones (the first ones stay open meanwhile).
  const needed = count + resumedCount + 200;
  if (openFileLimit() < needed) {
    throw new Error(
      `${needed} open files needed, the limit is ${openFileLimit()}: raise it first (ulimit -n ${needed})`,
    );
  }
  const pki = createSipTestPki();
  // The certificates go with the proxy, also when it does not start.
  const proxy = await ProxyProcess.start({
    listen: [
      {
        transport: 'tls',
        address: '127.0.0.1',
        port: 0,
        tls: { certFile: pki[key].certFile, keyFile: pki[key].keyFile },
      },
    ],
    limits: { exemptSources: ['127.0.0.1'], maxTcpConnections: count + resumedCount + 1000 },
    log: { level: 'info' },
  }).catch((error: unknown) => {
    pki.remove();
    throw error;
  });
  const { port } = proxy.listener('tls');
  const open: Flow[] = [];
  try {
    // Warm up (code paths compiled, TLS contexts used) with a few flows, closed again, before the baseline.
    const warm = await openFlows(50, 10, (i) => openFlow(port, pki.ca, i));
    warm.flows.forEach((flow) => flow.socket.destroy());
    const baseline = await settledRssKb(proxy.pid);
    const cpuBefore = cpuSeconds(proxy.pid);
    const full = await openFlows(count, concurrency, (i) => openFlow(port, pki.ca, i));
    open.push(...full.flows);
    const cpuFull = cpuSeconds(proxy.pid) - cpuBefore;
    const loaded = await settledRssKb(proxy.pid);
    const perFlowKb = (loaded - baseline) / count;
    const sessions = full.flows.map((flow) => flow.session).filter((s): s is Buffer => s !== undefined);
    const cpuResumeBefore = cpuSeconds(proxy.pid);
    const resumed = await openFlows(resumedCount, concurrency, (i) =>
      openFlow(port, pki.ca, count + i, sessions[i % sessions.length]),
    );
    open.push(...resumed.flows);
    const cpuResumed = cpuSeconds(proxy.pid) - cpuResumeBefore;
    const reused = resumed.flows.filter((flow) => flow.socket.isSessionReused()).length;
    const figures = {
      bench: 'sip-tls-flows',
      key,
      flows: count,
      tls_flows_10k_mb: Math.round(((perFlowKb * 10_000) / 1024) * 10) / 10,
      kb_per_flow: Math.round(perFlowKb * 10) / 10,
      proxy_rss_baseline_mb: Math.round(baseline / 102.4) / 10,
      proxy_rss_loaded_mb: Math.round(loaded / 102.4) / 10,
      full_handshakes_per_s: Math.round(count / full.seconds),
      proxy_cpu_ms_per_full_handshake: Math.round((cpuFull / count) * 1000 * 100) / 100,
      resumed_per_s: Math.round(resumedCount / resumed.seconds),
      resumed_share: Math.round((reused / resumedCount) * 1000) / 1000,
      proxy_cpu_ms_per_resumption: Math.round((cpuResumed / resumedCount) * 1000 * 100) / 100,
    };
    return {
      lines: [
        `${count} idle TLS flows (${key.toUpperCase()} certificate, one OPTIONS answered on each) in one stg-sip-proxy:`,
        `  RSS ${figures.proxy_rss_baseline_mb} MB -> ${figures.proxy_rss_loaded_mb} MB: ${figures.kb_per_flow} kB per flow, ` +
          `${figures.tls_flows_10k_mb} MB per 10,000 (Kamailio: about 61 kB per TLS connection)`,
        `  opened at ${figures.full_handshakes_per_s}/s with full handshakes (${concurrency} at a time), ` +
          `proxy CPU ${figures.proxy_cpu_ms_per_full_handshake} ms each`,
        `  ${resumedCount} more with a session ticket: ${figures.resumed_per_s}/s, ${reused} resumed, ` +
          `proxy CPU ${figures.proxy_cpu_ms_per_resumption} ms each`,
      ],
      figures,
    };
  } finally {
    for (const flow of open) flow.socket.destroy();
    await proxy.stop();
    pki.remove();
  }
}
