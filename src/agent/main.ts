#!/usr/bin/env node
import { Command } from 'commander';
import { loadAgentConfig, type AgentConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { createRootLogger } from '../log.js';
import { Agent } from './agent.js';
import { describeConfig } from './describe-config.js';

/** sysexits' EX_CONFIG: systemd units can list it in RestartPreventExitStatus, as retrying cannot help. */
export const EXIT_BAD_CONFIG = 78;

function loadOrExit(path: string): AgentConfig {
  try {
    return loadAgentConfig(path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`stg-agent: invalid configuration, nothing started.\n${error.message}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
}

const program = new Command('stg-agent')
  .description('stg-cluster node agent: leader lease with terms, membership, resources')
  .option('-c, --config <file>', 'the node file', '/etc/stg-cluster/node.yaml')
  .option('--check-config <file>', 'check a node file and the definition it names, print the result, and exit')
  .action((options: { config: string; checkConfig?: string }) => {
    if (options.checkConfig) {
      const config = loadOrExit(options.checkConfig);
      process.stdout.write(`${describeConfig(config)}\n`);
      return;
    }
    const config = loadOrExit(options.config);
    const log = createRootLogger({ node: config.node.node.id, cluster: config.node.cluster }, config.node.paths.log);
    const agent = new Agent(config, log);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, `received ${signal}: stepping down and leaving`);
      agent.stop().then(
        () => log.flush(() => process.exit(0)),
        (error: unknown) => {
          log.error({ err: error }, 'error while stopping');
          log.flush(() => process.exit(1));
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    agent.start().catch((error: unknown) => {
      process.stderr.write(`stg-agent: cannot start: ${(error as Error).message}\n`);
      log.error({ err: error }, `cannot start: ${(error as Error).message}`);
      log.flush(() => process.exit(1));
    });
  });

program.parse();
