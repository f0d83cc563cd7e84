/**
 * The errors that change what a caller does next. Anything else is a bug, logged with its stack at the
 * component edge. A class per situation beats matching on message text.
 */
export class ClusterError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem found in a configuration: where, what was found, what was expected. */
export interface ConfigProblem {
  path: string;
  /** The value found at the path; undefined when the key is missing. */
  value: unknown;
  expected: string;
  /**
   * 'default': the key is not written and `value` is the default in effect. 'none': the problem is not about a
   * value (an unreadable file, a YAML syntax error), so no value is shown rather than "missing".
   */
  valueIs?: 'default' | 'none';
}

/** The configuration is invalid; every problem is listed, never only the first. */
export class ConfigError extends ClusterError {
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super('STG_ERR_CONFIG', `${source}: ${problems.length} problem(s):\n${problems.map(formatProblem).join('\n')}`);
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.path || '(root)';
  if (problem.value === undefined && problem.valueIs === 'none') return `  ${where}: expected ${problem.expected}`;
  const shown = problem.value === undefined ? 'missing' : JSON.stringify(problem.value);
  const note = problem.valueIs === 'default' ? ' (default)' : '';
  return `  ${where}: ${shown}${note}: expected ${problem.expected}`;
}

/** Fewer than a majority of lock members answered: the caller must act as if it knows nothing. */
export class NoQuorumError extends ClusterError {
  constructor(
    readonly operation: string,
    readonly reached: number,
    readonly total: number,
  ) {
    super(
      'STG_ERR_NO_QUORUM',
      `${operation} reached ${reached}/${total} lock members, a majority is ${majorityOf(total)}`,
    );
  }
}

/** A leader-only action was attempted after the local leadership bound passed, or with a superseded term. */
export class LeaseLostError extends ClusterError {
  constructor(reason: string) {
    super('STG_ERR_LEASE_LOST', reason);
  }
}

export function majorityOf(total: number): number {
  return Math.floor(total / 2) + 1;
}
