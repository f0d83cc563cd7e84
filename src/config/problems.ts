import type { z } from 'zod';
import type { ConfigProblem } from '../errors.js';

/**
 * Turns schema issues into problems that show the path, the value found there and what was expected.
 *
 * The value is the one written in `input`. Where the file leaves the key out, the value shown is the effective one
 * the issue carries (the default in effect, parse with `reportInput: true`), marked as the default. `prefix` marks
 * every path, e.g. with the file the problems are in: "cluster.yaml" gives "cluster.yaml: timings.leaseTtlMs".
 */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], input: unknown, prefix = ''): ConfigProblem[] {
  return issues.flatMap((issue): ConfigProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      // One problem per unknown key, at that key; the schema's message lists the keys the object knows.
      const expected = issue.message.startsWith('Unrecognized key') ? 'a known key' : issue.message;
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        return { path: markPath(prefix, formatPath(path)), value: lookUp(input, path).value, expected };
      });
    }
    const path = markPath(prefix, formatPath(issue.path));
    if (issue.code === 'invalid_key') {
      // A bad key of a record (a parameter name): the key itself is the bad value.
      const key = 'input' in issue ? issue.input : issue.path.at(-1);
      return [{ path, value: key, expected: `a key that is ${issue.issues.map(expectationOf).join('; ')}` }];
    }
    const written = lookUp(input, issue.path);
    if (!written.found && 'input' in issue && issue.input !== undefined) {
      return [{ path, value: issue.input, expected: expectationOf(issue), valueIs: 'default' }];
    }
    return [{ path, value: written.value, expected: expectationOf(issue) }];
  });
}

/** Puts a mark (a file name) before a path: "cluster.yaml: timings.leaseTtlMs", or the mark alone for the root. */
export function markPath(mark: string, path: string): string {
  if (!mark) return path;
  return path ? `${mark}: ${path}` : mark;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
    .join('')
    .replace(/^\./, '');
}

function expectationOf(issue: { message: string }): string {
  // Zod's built-in wording ("Invalid input: expected number, received string") already says what was expected.
  // A missing key shows as "missing" already, so "received undefined" is left out.
  return issue.message
    .replace(/^Invalid input: expected (.*), received undefined$/, '$1')
    .replace(/^Invalid input: expected /, '')
    .replace(/^Invalid input/, 'a valid value');
}

/** The value at `path` in `input`, and whether the key is there at all. */
function lookUp(input: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let current: unknown = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) {
      return { found: false, value: undefined };
    }
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return { found: true, value: current };
}
