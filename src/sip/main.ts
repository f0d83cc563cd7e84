#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { createRootLogger } from '../log.js';
import { describeSipProxyConfig, loadSipProxyConfig, type SipProxyConfig } from './config.js';
import { stubResponder } from './stub-responder.js';
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
      log: root.child({ component: 'sip-transport' }),
    });
  } catch (error) {
    process.stderr.write(`stg-sip-proxy: cannot listen: ${(error as Error).message}\n`);
    log.error({ err: error }, 'cannot listen');
    root.flush(() => process.exit(1));
    return;
  }
  transports.onMessage(stubResponder(transports, log));
  log.info({ listeners: transports.listeners() }, 'stg-sip-proxy ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, counters: transports.counters.snapshot() }, `received ${signal}: closing the transports`);
    transports.close().finally(() => root.flush(() => process.exit(0)));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const program = new Command('stg-sip-proxy')
  .description('stg-cluster SIP proxy: UDP and TCP transports (for now it answers OPTIONS 200, other requests 501)')
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
