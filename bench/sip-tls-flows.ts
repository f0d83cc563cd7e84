import { optionsToProxy } from '../test/fixtures/sip/clients.js';
import { ProxyProcess } from '../test/fixtures/sip/proxy-process.js';
import { createSipTestPki } from '../test/fixtures/sip/tls-certs.js';
import type { BenchResult } from './run.js';
import { TlsSipFlow, type TlsTarget } from './sip-tls-client.js';
import { cpuSeconds, openFileLimit, option, settledRssKb } from './measure.js';

/*
 * `npm run bench -- sip-tls-flows [--flows N] [--concurrency C] [--key ecdsa|rsa] [--resumed M]`: the memory of N
 * idle TLS flows (default 10,000) held by one stg-sip-proxy process, and the cost of opening them. A client in this
 * process opens N TLS connections to the proxy's TLS listener (full handshakes, C at a time), sends one OPTIONS on
 * each and waits for its 200, so every flow has been used once; then it waits for the proxy's memory to settle and
 * reads its RSS (/proc/PID/status) against the RSS it had before, with the same listener idle. Then M connections
 * (default 2,000) are opened again with the session of an earlier one (TLS resumption), for the rate a reconnecting
 * client costs. Published for Kamailio: about 61 kB per TLS connection.
 */

/** Opens a TLS flow, sends OPTIONS to the proxy and resolves once the 200 is back (the flow stays open). */
async function openFlow(target: TlsTarget, index: number, session?: Buffer): Promise<TlsSipFlow> {
  const flow = await TlsSipFlow.open(target, session);
  const request = optionsToProxy(`flow-${index}`, 'TLS', { address: '127.0.0.1', port: target.port });
  const status = await flow.request(request, 30_000).catch((error: unknown) => {
    flow.close();
    throw new Error(`flow ${index}: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (status !== 200) {
    flow.close();
    throw new Error(`flow ${index}: answered ${status}`);
  }
  return flow;
}

/** Opens `count` flows, `concurrency` at a time; returns them and the seconds it took. */
async function openFlows(count: number, concurrency: number, open: (index: number) => Promise<TlsSipFlow>) {
  const flows: TlsSipFlow[] = [];
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
  const open: TlsSipFlow[] = [];
  const target = { port, ca: pki.ca };
  try {
    // Warm up (code paths compiled, TLS contexts used) with a few flows, closed again, before the baseline.
    const warm = await openFlows(50, 10, (i) => openFlow(target, i));
    warm.flows.forEach((flow) => flow.close());
    const baseline = await settledRssKb(proxy.pid);
    const cpuBefore = cpuSeconds(proxy.pid);
    const full = await openFlows(count, concurrency, (i) => openFlow(target, i));
    open.push(...full.flows);
    const cpuFull = cpuSeconds(proxy.pid) - cpuBefore;
    const loaded = await settledRssKb(proxy.pid);
    const perFlowKb = (loaded - baseline) / count;
    const sessions = full.flows.map((flow) => flow.session).filter((s): s is Buffer => s !== undefined);
    const cpuResumeBefore = cpuSeconds(proxy.pid);
    const resumed = await openFlows(resumedCount, concurrency, (i) =>
      openFlow(target, count + i, sessions[i % sessions.length]),
    );
    open.push(...resumed.flows);
    const cpuResumed = cpuSeconds(proxy.pid) - cpuResumeBefore;
    const reused = resumed.flows.filter((flow) => flow.resumed).length;
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
    for (const flow of open) flow.close();
    await proxy.stop();
    pki.remove();
  }
}
