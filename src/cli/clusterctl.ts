#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { DEFAULT_CLUSTERCTL_CONFIG, loadClusterctlConfig } from './clusterctl-config.js';
import { hostname } from 'node:os';
import { appendEvent } from '../cluster/events.js';
/*
 * Each command's module is imported only when that command runs: an operator waits for clusterctl's start-up on
 * every call, and a switchover's outage includes it.
 */
const commands = {
  configApply: () => import('./commands/config-apply.js'),
  dns: () => import('./commands/dns.js'),
  events: () => import('./commands/events.js'),
  leadership: () => import('./commands/leadership.js'),
  resources: () => import('./commands/resources.js'),
  standby: () => import('./commands/standby.js'),
  status: () => import('./commands/status.js'),
};
import { CommandFailed, Session } from './session.js';
import { registerPushCommands } from './commands/push.js';
import { registerRegistrationsCommand } from './commands/registrations.js';

const program = new Command('clusterctl')
  .description('operate an stg-cluster: status first, then actions')
  .option(
    '-c, --config <file>',
    'clusterctl.yaml or a node file (cluster name and lock members)',
    process.env['STG_CLUSTERCTL_CONFIG'] ?? DEFAULT_CLUSTERCTL_CONFIG,
  );

const config = () => loadClusterctlConfig(program.opts<{ config: string }>().config);

/** Runs an action: prints what happened and exits 0, or prints why it was refused or not done and exits 1. */
async function act(action: (session: Session) => Promise<string>): Promise<void> {
  const session = await Session.open(config());
  try {
    appendEvent(session.plane, {
      node: `clusterctl@${hostname()}`,
      kind: 'command',
      message: `operator: clusterctl ${process.argv.slice(2).join(' ')}`,
    });
    process.stdout.write(`${await action(session)}\n`);
  } finally {
    await session.close();
  }
}

program
  .command('status')
  .description('leader and term, lease time left, lock members, nodes, resources (exit 2 without quorum)')
  .option('--json', 'machine-readable output')
  .action(async (options: { json?: boolean }) => {
    process.exitCode = await (await commands.status()).statusCommand(config(), options);
  });
program
  .command('dns')
  .description('the DNS records the leader published (term, version) and each node DNS server state')
  .option('--json', 'machine-readable output')
  .action(async (options: { json?: boolean }) => {
    process.exitCode = await (await commands.dns()).dnsCommand(config(), options);
  });
program
  .command('standby <node>')
  .description('stop every resource on NODE (it hands over leadership if it leads)')
  .action((node: string) => act(async (session) => (await commands.standby()).standbyCommand(session, node, true)));
program
  .command('unstandby <node>')
  .description('let NODE run resources and lead again')
  .action((node: string) => act(async (session) => (await commands.standby()).standbyCommand(session, node, false)));
program
  .command('switchover')
  .description('the healthy leader hands over to NODE (or to the next eligible node)')
  .option('--to <node>', 'the node to hand over to')
  .action((options: { to?: string }) =>
    act(async (session) => (await commands.leadership()).switchoverCommand(session, options.to)),
  );
program
  .command('failover')
  .description('when no healthy leader exists, let NODE take the lease first')
  .requiredOption('--to <node>', 'the node that takes over')
  .action((options: { to: string }) =>
    act(async (session) => (await commands.leadership()).failoverCommand(session, options.to)),
  );
program
  .command('move <resource> <node>')
  .description('move a leader resource to NODE (a switchover); refused for every-node resources')
  .action((resource: string, node: string) =>
    act(async (session) => (await commands.leadership()).moveCommand(session, resource, node)),
  );
program
  .command('cleanup <resource>')
  .description('forget the failures of RESOURCE (on NODE only with --node)')
  .option('--node <node>', 'only on this node')
  .action((resource: string, options: { node?: string }) =>
    act(async (session) => (await commands.resources()).cleanupCommand(session, resource, options.node)),
  );
program
  .command('maintenance <on|off>')
  .description('on: monitor and report only, start/stop/move nothing; off: manage again')
  .action((mode: string) => {
    if (mode !== 'on' && mode !== 'off') throw new CommandFailed(`maintenance takes on or off, not "${mode}"`);
    return act(async (session) => (await commands.resources()).maintenanceCommand(session, mode === 'on'));
  });
program
  .command('unmanage <resource>')
  .description('leave RESOURCE as it is (monitored and reported only)')
  .action((resource: string) =>
    act(async (session) => (await commands.resources()).manageCommand(session, resource, false)),
  );
program
  .command('manage <resource>')
  .description('have the cluster manage RESOURCE again')
  .action((resource: string) =>
    act(async (session) => (await commands.resources()).manageCommand(session, resource, true)),
  );
program
  .command('events')
  .description('the recent cluster events (leadership, resources, commands); --follow for new ones')
  .option('-f, --follow', 'keep printing new events until Ctrl-C')
  .option('-n, --count <n>', 'how many recent events', (value) => Number.parseInt(value, 10), 50)
  .action(async (options: { follow?: boolean; count: number }) => {
    const session = await Session.open(config());
    try {
      await (await commands.events()).eventsCommand(session, options);
    } finally {
      await session.close();
    }
  });
program
  .command('config')
  .description('the cluster definition')
  .command('apply <file>')
  .description('validate FILE, show the diff, and apply it through the leader')
  .option('--dry-run', 'validate and show the diff only')
  .action((file: string, options: { dryRun?: boolean }) =>
    act(async (session) => (await commands.configApply()).configApplyCommand(session, file, options.dryRun ?? false)),
  );

registerPushCommands(program, () => program.opts<{ config: string }>().config);
registerRegistrationsCommand(program, () => program.opts<{ config: string }>().config);

program.parseAsync().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`clusterctl: invalid configuration\n${error.message}\n`);
  else process.stderr.write(`clusterctl: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
