import type { ResourceDefinition } from '../config/schema.js';
import { runCommand, type CommandOutcome, type CommandRunner } from './command.js';
import { logOutcome, OCF_EXIT_CODE, operationResult, splitLines } from './result.js';
import type { Operation, OperationResult, ResourceContext, ResourceDriver } from './types.js';

/**
 * The monitor answer for each state `systemctl is-active` prints. A unit on its way up or down is neither
 * running nor cleanly stopped: `activating` is also what a unit in a restart loop shows.
 */
export const SYSTEMD_ACTIVE_STATES: Readonly<Record<string, number>> = {
  active: OCF_EXIT_CODE.SUCCESS,
  reloading: OCF_EXIT_CODE.SUCCESS,
  inactive: OCF_EXIT_CODE.NOT_RUNNING,
  failed: OCF_EXIT_CODE.ERR_GENERIC,
  activating: OCF_EXIT_CODE.ERR_GENERIC,
  deactivating: OCF_EXIT_CODE.ERR_GENERIC,
};

/** Drives a systemd unit through systemctl: start, stop, is-active, and `show -p LoadState` to validate. */
export class SystemdDriver implements ResourceDriver {
  constructor(
    readonly resource: ResourceDefinition,
    private readonly run: CommandRunner = runCommand,
  ) {}

  async start(context: ResourceContext): Promise<OperationResult> {
    return this.systemctl('start', ['start', this.unit], context, this.resource.timeouts.startMs, (outcome) =>
      outcome.exitCode === 0 ? ok() : failed(outcome, lsbCode(outcome.exitCode)),
    );
  }

  async stop(context: ResourceContext): Promise<OperationResult> {
    return this.systemctl('stop', ['stop', this.unit], context, this.resource.timeouts.stopMs, (outcome) => {
      if (outcome.exitCode === 0) return ok();
      // systemctl says 5 for a unit it does not know: what is not there is not running, so it is stopped.
      if (outcome.exitCode === 5) return { rc: OCF_EXIT_CODE.SUCCESS, reason: `unit ${this.unit} not loaded` };
      return failed(outcome, OCF_EXIT_CODE.ERR_GENERIC);
    });
  }

  async monitor(context: ResourceContext): Promise<OperationResult> {
    return this.systemctl('monitor', ['is-active', this.unit], context, this.resource.timeouts.monitorMs, (outcome) => {
      const state = splitLines(outcome.stdout)[0]?.trim() ?? '';
      const rc = SYSTEMD_ACTIVE_STATES[state];
      if (rc === undefined) return failed(outcome, OCF_EXIT_CODE.ERR_GENERIC, `unit ${this.unit} is "${state}"`);
      return {
        rc,
        reason: rc === OCF_EXIT_CODE.SUCCESS || rc === OCF_EXIT_CODE.NOT_RUNNING ? '' : `unit ${this.unit} is ${state}`,
      };
    });
  }

  async validate(context: ResourceContext): Promise<OperationResult> {
    const args = ['show', '--property=LoadState', '--value', this.unit];
    return this.systemctl('validate-all', args, context, this.resource.timeouts.monitorMs, (outcome) => {
      const state = splitLines(outcome.stdout)[0]?.trim() ?? '';
      if (outcome.exitCode !== 0) return failed(outcome, OCF_EXIT_CODE.ERR_GENERIC);
      if (state === 'loaded') return ok();
      if (state === 'not-found') return { rc: OCF_EXIT_CODE.ERR_INSTALLED, reason: `unit ${this.unit} not found` };
      return { rc: OCF_EXIT_CODE.ERR_CONFIGURED, reason: `unit ${this.unit} load state is "${state}"` };
    });
  }

  private get unit(): string {
    return this.resource.unit ?? '';
  }

  private async systemctl(
    operation: Operation,
    args: string[],
    context: ResourceContext,
    timeoutMs: number,
    interpret: (outcome: CommandOutcome) => { rc: number; reason: string },
  ): Promise<OperationResult> {
    const startedAt = performance.now();
    const outcome = await this.run('systemctl', args, { timeoutMs });
    const { rc, reason } = outcome.timedOut
      ? { rc: OCF_EXIT_CODE.ERR_GENERIC, reason: `timed out after ${timeoutMs} ms` }
      : outcome.spawnError !== undefined
        ? { rc: OCF_EXIT_CODE.ERR_INSTALLED, reason: `cannot execute systemctl: ${outcome.spawnError}` }
        : interpret(outcome);
    const result = operationResult(operation, rc, reason, startedAt, outcome.timedOut);
    logOutcome(context.log.child({ resource: this.resource.id, operation }), result, outcome);
    return result;
  }
}

const ok = () => ({ rc: OCF_EXIT_CODE.SUCCESS, reason: '' });

/** A failed systemctl call: its last stderr line is the reason (systemctl says what went wrong there). */
function failed(outcome: CommandOutcome, rc: number, reason?: string): { rc: number; reason: string } {
  const said = splitLines(outcome.stderr).at(-1)?.trim() ?? '';
  return {
    rc,
    reason:
      reason ??
      (said || (outcome.signal ? `systemctl killed by ${outcome.signal}` : `systemctl exit ${outcome.exitCode}`)),
  };
}

/** systemctl start follows the LSB init-script codes: 4 insufficient privilege, 5 not installed, 6 not configured. */
function lsbCode(exitCode: number | undefined): number {
  return exitCode === 4 || exitCode === 5 || exitCode === 6 ? exitCode : OCF_EXIT_CODE.ERR_GENERIC;
}
