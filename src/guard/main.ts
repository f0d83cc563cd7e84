#!/usr/bin/env node
import { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { loadAgentConfig, type AgentConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { createRootLogger } from '../log.js';
import { Guard } from './guard.js';

const EXIT_BAD_CONFIG = 78;
const AGENT_MAIN = fileURLToPath(new URL('../agent/main.js', import.meta.url));

function loadOrExit(path: string): AgentConfig {
  try {
    return loadAgentConfig(path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`stg-guard: invalid configuration, nothing started.\n${error.message}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
}

new Command('stg-guard')
  .description("stg-cluster's guard: the agent's parent; removes the VIP and releases the lease when the agent dies")
  .option('-c, --config <file>', 'the node file', '/etc/stg-cluster/node.yaml')
  .action(async (options: { config: string }) => {
    const config = loadOrExit(options.config);
    const log = createRootLogger(
      { node: config.node.node.id, cluster: config.node.cluster, component: 'guard' },
      config.node.paths.log,
    );
    const guard = new Guard({ config, agentMain: AGENT_MAIN, log });
    process.on('SIGTERM', () => guard.stop('SIGTERM'));
    process.on('SIGINT', () => guard.stop('SIGINT'));
    const code = await guard.run();
    log.flush(() => process.exit(code));
  })
  .parse();
