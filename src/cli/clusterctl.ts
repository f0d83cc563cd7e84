#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { DEFAULT_CLUSTERCTL_CONFIG, loadClusterctlConfig } from './clusterctl-config.js';
import { statusCommand } from './commands/status.js';

const program = new Command('clusterctl')
  .description('operate an stg-cluster: status first, then actions')
  .option(
    '-c, --config <file>',
    'clusterctl.yaml or a node file (cluster name and lock members)',
    process.env['STG_CLUSTERCTL_CONFIG'] ?? DEFAULT_CLUSTERCTL_CONFIG,
  );

program
  .command('status')
  .description('leader and term, lease time left, lock members, nodes (exit 2 without quorum)')
  .option('--json', 'machine-readable output')
  .action(async (options: { json?: boolean }) => {
    process.exitCode = await statusCommand(loadClusterctlConfig(program.opts<{ config: string }>().config), options);
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`clusterctl: invalid configuration\n${error.message}\n`);
  else process.stderr.write(`clusterctl: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
