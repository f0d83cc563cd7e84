#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { createRootLogger } from '../log.js';
import { describeSipProxyConfig, loadSipProxyConfig, type SipProxyConfig } from './config.js';
import { startPushWaits } from './proxy/push-wait-start.js';
import { startProxyCore } from './proxy/start.js';
import { startRegistrar, withRegistrar } from './registrar/index.js';
import { SipTransportLayer } from './transport/index.js';

/** sysexits' EX_CONFIG, as stg-agent uses: retrying cannot help. */
const EXIT_BAD_CONFIG = 78;

function loadOrExit(path: string): SipProxyConfig {
  try {
    return loadSipProxyConfig(path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`stg-sip-proxy: invalid configuration, nothing started.\n${error.message}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
}

async function run(config: SipProxyConfig): Promise<void> {
  const root = createRootLogger(config.node ? { node: config.node } : {}, config.log.file);
  if (config.log.level) root.level = config.log.level;
  const log = root.child({ component: 'sip-proxy' });
  let transports: SipTransportLayer;
  try {
    transports = await SipTransportLayer.start({
      listen: config.listen,
      limits: config.limits,
      tlsClient: config.tlsClient,
      log: root.child({ component: 'sip-transport' }),
    });
  } catch (error) {
    process.stderr.write(`stg-sip-proxy: cannot listen: ${(error as Error).message}\n`);
    log.error({ err: error }, 'cannot listen');
    root.flush(() => process.exit(1));
    return;
  }
  // Every method but REGISTER goes to the proxy core; the registrar, when configured, takes REGISTER before it and
  // gives the core its contact lookup (contacts, domains, proxyId).
  const registrar =
    config.registrar && config.dataStore
      ? startRegistrar({
          dataStore: config.dataStore,
          settings: config.registrar,
          transports,
          log: root.child({ component: 'sip-registrar' }),
        })
      : undefined;
  // Issue 8: a call or message for a sleeping device waits for its wake-up (needs the registrar's bindings).
  const pushWaits =
    registrar && config.dataStore
      ? startPushWaits({
          config: config.pushWait,
          dataStore: config.dataStore,
          sources: {
            lookup: (aor) => registrar.registrar.lookup(aor),
            onRegistered: (aor, listener) => registrar.events.onRegistered(aor, listener),
          },
          log: root.child({ component: 'sip-push-wait' }),
        })
      : undefined;
  const proxy = startProxyCore({
    config: config.proxy,
    transports,
    log: root.child({ component: 'sip-proxy-core' }),
    contacts: registrar?.registrar,
    domains: config.registrar?.domains,
    proxyId: config.registrar?.proxyId,
    push: pushWaits?.waits,
  });
  transports.onMessage(registrar ? withRegistrar(registrar.registrar, transports, log, proxy.handler) : proxy.handler);
  log.info({ listeners: transports.listeners() }, 'stg-sip-proxy ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(
      {
        signal,
        counters: transports.counters.snapshot(),
        proxy: proxy.core.counters,
        transactions: proxy.layer.size,
        registrar: registrar?.registrar.counters,
        pushWait: pushWaits?.waits.counters,
      },
      `received ${signal}: closing the transports`,
    );
    transports
      .close()
      .then(() => pushWaits?.close())
      .then(() => registrar?.close())
      .finally(() => root.flush(() => process.exit(0)));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const program = new Command('stg-sip-proxy')
  .description(
    'stg-cluster SIP proxy: UDP, TCP, TLS, WS and WSS transports (stateful proxy: devices, the PBX, registered contacts)',
  )
  .option('-c, --config <file>', 'the proxy configuration', '/etc/stg-cluster/sip-proxy.yaml')
  .option('--check-config <file>', 'check a configuration file, print the result, and exit')
  .action(async (options: { config: string; checkConfig?: string }) => {
    if (options.checkConfig) {
      process.stdout.write(`${describeSipProxyConfig(loadOrExit(options.checkConfig))}\n`);
      return;
    }
    await run(loadOrExit(options.config));
  });

await program.parseAsync();
