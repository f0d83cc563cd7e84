import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem } from '../errors.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: ConfigProblem[] };

/** Reads a YAML file; throws ConfigError naming the file when it cannot be read or is not valid YAML. */
export function readYaml(path: string): unknown {
  const checked = readYamlChecked(path);
  if (!checked.ok) throw new ConfigError(path, checked.problems);
  return checked.value;
}

export function readYamlChecked(path: string): Checked<unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    return {
      ok: false,
      problems: [{ path: '', value: undefined, expected: `a readable YAML file (${reason})`, valueIs: 'none' }],
    };
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length === 0) return { ok: true, value: document.toJS() };
  return {
    ok: false,
    problems: document.errors.map((error) => ({
      path: error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '',
      value: undefined,
      // The first line of the message, without the position it ends with (the path already gives it).
      expected: `valid YAML (${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')})`,
      valueIs: 'none' as const,
    })),
  };
}
