import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { stringify } from 'yaml';
import { ConfigError } from '../../../src/errors.js';

/*
 * Fixtures for the configuration tests: valid node files and definitions as plain objects that each test bends
 * into one mistake, written as YAML into a fresh folder that is removed after the test.
 */

export type Plain = Record<string, unknown>;

export function validNode(): Plain {
  return {
    cluster: 'demo',
    node: { id: 'stg1', address: '198.51.100.11' },
    lockMembers: [
      { host: '127.0.0.1', port: 7001 },
      { host: '127.0.0.1', port: 7002 },
      { host: '127.0.0.1', port: 7003 },
    ],
    dataStore: { host: '127.0.0.1', port: 6379 },
    paths: { stateDir: '/var/lib/stg-cluster' },
    definitionFile: 'cluster.yaml',
  };
}

export function validDefinition(): Plain {
  return {
    cluster: 'demo',
    service: { name: 'sips.example.es', zone: 'example.es', vip: '198.51.100.10/24' },
    resources: [],
  };
}

/** A valid process resource; `extra` overrides or adds keys (a key set to undefined is left out of the YAML). */
export function processResource(id: string, extra: Plain = {}): Plain {
  return { id, kind: 'process', command: ['/bin/true'], placement: 'every-node', ...extra };
}

/** Writes `files` (objects as YAML, strings verbatim) into a fresh folder removed after the test; returns it. */
export function writeFixture(t: ExecutionContext, files: Record<string, Plain | string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'stg-config-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : stringify(content));
  }
  return dir;
}

/** Writes a node file (node.yaml) and its definition (cluster.yaml); returns the node file's path. */
export function writeConfig(t: ExecutionContext, node: Plain | string, definition: Plain | string): string {
  return join(writeFixture(t, { 'node.yaml': node, 'cluster.yaml': definition }), 'node.yaml');
}

export function configErrorFrom(t: ExecutionContext, load: () => unknown): ConfigError {
  return t.throws(load, { instanceOf: ConfigError });
}

export interface ExpectedProblem {
  /** The problem's path, exactly. */
  path: string;
  /** The value reported at that path (compared deeply); leave out to not check it. */
  value?: unknown;
  /** Matches the problem's expectation text. */
  expected: RegExp;
}

/**
 * Asserts that `error` lists each expected problem (path, value and expectation), and that the message a user
 * reads shows them too. Extra problems are allowed unless `only` is set.
 */
export function assertProblems(
  t: ExecutionContext,
  error: ConfigError,
  expected: readonly ExpectedProblem[],
  options: { only?: boolean } = {},
): void {
  for (const want of expected) {
    const found = error.problems.find((problem) => problem.path === want.path && want.expected.test(problem.expected));
    if (!found) {
      t.fail(`no problem at "${want.path}" matching ${String(want.expected)}; the error says:\n${error.message}`);
      continue;
    }
    if ('value' in want) t.deepEqual(found.value, want.value, `value reported at ${want.path}`);
    t.true(error.message.includes(found.expected), `message shows the expectation for ${want.path}`);
    if (want.path !== '') t.true(error.message.includes(`  ${want.path}: `), `message names ${want.path}`);
  }
  if (options.only) {
    t.is(error.problems.length, expected.length, `exactly the expected problems; the error says:\n${error.message}`);
  }
}

/** The repository's root, found from this file whether it runs from test/ or from dist/test/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error('package.json not found above the test file');
    dir = parent;
  }
  return dir;
}
