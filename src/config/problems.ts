import type { z } from 'zod';
import type { ConfigProblem } from '../errors.js';

/** Turns schema issues into problems that show the path, the value found there and what was expected. */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], input: unknown, prefix = ''): ConfigProblem[] {
  return issues.map((issue) => {
    const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
    const fullPath = `${prefix}${path}`.replace(/^\./, '');
    return { path: fullPath, value: valueAt(input, issue.path), expected: expectationOf(issue) };
  });
}

function expectationOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `no unknown key (found ${issue.keys.join(', ')})`;
  // Zod's built-in wording ("Invalid input: expected number, received string") already says what was expected.
  return issue.message.replace(/^Invalid input: expected /, '').replace(/^Invalid input/, 'a valid value');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}
