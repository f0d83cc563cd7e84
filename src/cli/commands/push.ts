import type { Command } from 'commander';
import { CommandFailed } from '../session.js';

/**
 * `clusterctl push test AOR`: a test push to every device of an address of record, through the push workers,
 * printing each provider's answer. It talks to the data Redis only (not the lock members): the file given with
 * --node-file (default: clusterctl's --config, which may be a node file) must have a `dataStore` key, and the
 * queue prefix comes from --push-config when the workers use a non-default one. Exit 0 when every device's
 * provider accepted its push, 1 otherwise. The push module is loaded only when the command runs.
 */
export function registerPushCommands(program: Command, configPath: () => string): void {
  program
    .command('push')
    .description('push notifications')
    .command('test <aor>')
    .description("send a test push to every device of AOR (e.g. 6109*01@sips.example.es); print each provider's answer")
    .option('--node-file <file>', 'a file with the dataStore (default: the --config file)')
    .option('--push-config <file>', "the push workers' configuration (for a non-default queue prefix)")
    .option(
      '--timeout <seconds>',
      'how long the pushes stay useful, as a call would ring',
      (value) => Number(value),
      30,
    )
    .option('--message', 'test the push a MESSAGE sends (iOS: the remote token) instead of a call')
    .action(
      async (aor: string, options: { nodeFile?: string; pushConfig?: string; timeout: number; message?: boolean }) => {
        if (!Number.isFinite(options.timeout) || options.timeout <= 0 || options.timeout > 600) {
          throw new CommandFailed(`--timeout takes 1-600 seconds, not "${options.timeout}"`);
        }
        const { pushTestCommand } = await import('../../push/push-test-command.js');
        process.exitCode = await pushTestCommand({
          aor,
          nodeFile: options.nodeFile ?? configPath(),
          pushConfig: options.pushConfig,
          timeoutMs: options.timeout * 1000,
          purpose: options.message ? 'message' : 'call',
        });
      },
    );
}
