#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { createRootLogger } from '../log.js';
import { silentLog } from '../silent-log.js';
import { CredentialStore, startRequestGuard, startSipAuth, type SipAuth } from './auth/index.js';
import { loadAgentConfig, readYaml } from '../config/load.js';
import {
  checkNodeFileTls,
  describeSipProxyConfig,
  loadSipProxyConfig,
  type NodeFileDefaults,
  type SipProxyConfig,
} from './config.js';
import { startPushWaits } from './proxy/push-wait-start.js';
import { startProxyCore } from './proxy/start.js';
import { startRegistrar, withRegistrar } from './registrar/index.js';
import { startSipStatus } from './status/index.js';
import { SipTransportLayer } from './transport/index.js';

/** sysexits' EX_CONFIG, as stg-agent uses: retrying cannot help. */
const EXIT_BAD_CONFIG = 78;

/** The node id and the certificate the node file gives the proxy; the whole node file is checked as the agent does. */
function nodeFileDefaults(path: string): NodeFileDefaults {
  const { node, path: absolute } = loadAgentConfig(path);
  const defaults = { path: absolute, node: node.node.id, tls: node.sipProxy?.tls };
  const written = (readYaml(absolute) as { sipProxy?: { tls?: Record<string, unknown> } } | null)?.sipProxy?.tls;
  checkNodeFileTls(defaults, written);
  return defaults;
}

function loadOrExit(path: string, nodeFile: string | undefined): SipProxyConfig {
  try {
    return loadSipProxyConfig(path, nodeFile === undefined ? undefined : nodeFileDefaults(nodeFile));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`stg-sip-proxy: invalid configuration, nothing started.\n${error.message}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
}

/** `--check-config` reads the credentials files too, as the start does: a bad one is reported, naming the file. */
function checkCredentialsOrExit(config: SipProxyConfig): void {
  if (!config.auth) return;
  try {
    CredentialStore.load(config.auth.domains.values(), silentLog);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`stg-sip-proxy: invalid configuration.\n${error.message}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
}

async function run(config: SipProxyConfig): Promise<void> {
  const root = createRootLogger(config.node ? { node: config.node } : {}, config.log.file);
  if (config.log.level) root.level = config.log.level;
  const log = root.child({ component: 'sip-proxy' });
  // Issue 6: the credentials files are read before anything listens: a bad one stops the start, naming the file.
  const authLog = root.child({ component: 'sip-auth' });
  let auth: SipAuth | undefined;
  try {
    auth = config.auth && startSipAuth(config.auth, authLog);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`stg-sip-proxy: invalid configuration, nothing started.\n${error.message}\n`);
    root.flush(() => process.exit(EXIT_BAD_CONFIG));
    return;
  }
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
  // A renewed certificate is taken on SIGHUP, as the credentials files are (auth/credential-store.ts), with no
  // restart: open connections stay, and the proxy keeps running whatever the files hold.
  process.on('SIGHUP', () => transports.reloadTls());
  // Every method but REGISTER goes to the proxy core; the registrar, when configured, takes REGISTER before it and
  // gives the core its contact lookup (contacts, domains, proxyId).
  const registrar =
    config.registrar && config.dataStore
      ? startRegistrar({
          dataStore: config.dataStore,
          settings: config.registrar,
          transports,
          node: config.node,
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
  // Issue 6: digest authentication in front of both (auth/request-guard.ts decides which requests are checked).
  const stopWatchingCredentials = auth?.watch();
  const guard =
    auth &&
    startRequestGuard({
      ...auth,
      transports,
      core: proxy.core,
      log: authLog,
    });
  const handler = registrar ? withRegistrar(registrar.registrar, transports, log, proxy.handler) : proxy.handler;
  transports.onMessage(guard ? guard.wrap(handler) : handler);
  // Issue 6: /metrics, /status and /health for the local agent (src/sip/status/), when the file has `status:`.
  const statusParts = { transports, registrar: registrar?.registrar, layer: proxy.layer, pushWaits: pushWaits?.waits };
  const status = await startSipStatus(config, { ...statusParts, log: root.child({ component: 'sip-status' }) }).catch(
    (error: Error) => {
      process.stderr.write(`stg-sip-proxy: ${error.message}\n`);
      log.error({ err: error }, 'cannot serve status');
      root.flush(() => process.exit(1));
      return null;
    },
  );
  if (status === null) return;
  log.info({ listeners: transports.listeners(), status: status?.endpoint }, 'stg-sip-proxy ready');

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
        auth: guard && { ...guard.counters, outcomes: auth?.authenticator.counters },
      },
      `received ${signal}: closing the transports`,
    );
    stopWatchingCredentials?.();
    void status?.close();
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
  .option(
    '--node-file <file>',
    "this node's file (as stg-agent's): its node id, and sipProxy.tls for the TLS and WSS listeners without a tls block",
  )
  .action(async (options: { config: string; checkConfig?: string; nodeFile?: string }) => {
    if (options.checkConfig) {
      const config = loadOrExit(options.checkConfig, options.nodeFile);
      checkCredentialsOrExit(config);
      process.stdout.write(`${describeSipProxyConfig(config)}\n`);
      return;
    }
    await run(loadOrExit(options.config, options.nodeFile));
  });

await program.parseAsync();
