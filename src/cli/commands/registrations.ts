import type { Command } from 'commander';
import { CommandFailed } from '../session.js';

/**
 * `clusterctl registrations [AOR]`: the registrar's records in the data Redis. Without AOR, every address of record
 * with its live contacts; with one, each binding decoded. Like `push test`, it talks to the data Redis only: the
 * file given with --node-file (default: clusterctl's --config) must have a `dataStore` key.
 */
export function registerRegistrationsCommand(program: Command, configPath: () => string): void {
  program
    .command('registrations [aor]')
    .description(
      'the registrations in the data Redis: every AOR, or the bindings of AOR (e.g. 6109*01@sips.example.es)',
    )
    .option('--node-file <file>', 'a file with the dataStore (default: the --config file)')
    .option('--json', 'machine-readable output')
    .action(async (aor: string | undefined, options: { nodeFile?: string; json?: boolean }) => {
      const { registrationsCommand } = await import('../registrations/registrations-command.js');
      const output = await registrationsCommand({ aor, nodeFile: options.nodeFile ?? configPath() });
      if (output.kind === 'bad-aor') {
        throw new CommandFailed(`"${aor}" is not an address of record (user@host or a sip:/sips: URI)`);
      }
      process.stdout.write(`${options.json ? JSON.stringify(output.json, null, 2) : output.text}\n`);
    });
}
