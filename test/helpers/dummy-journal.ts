import { readFileSync } from 'node:fs';

/** One line of the journal of resource-agents/dummy: `<wall ms> <node> <term or -> <action> <rc>`. */
export interface DummyJournalEntry {
  /** Wall-clock milliseconds when the action began. */
  wallMs: number;
  node: string;
  /** The leader term the action ran under, or undefined (`-`) when none was given. */
  term: number | undefined;
  action: string;
  rc: number;
}

/** Parses one journal line; undefined for a line that is not one (a torn last line, say). */
export function parseDummyJournalLine(line: string): DummyJournalEntry | undefined {
  const match = /^(\d+) (\S+) (-|\d+) (\S+) (\d+)$/.exec(line.trim());
  if (!match) return undefined;
  const [, wallMs, node, term, action, rc] = match;
  return {
    wallMs: Number(wallMs),
    node: node!,
    term: term === '-' ? undefined : Number(term),
    action: action!,
    rc: Number(rc),
  };
}

/** Every entry of a dummy journal file, in file order; [] when it does not exist yet. */
export function readDummyJournal(path: string): DummyJournalEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text.split('\n').flatMap((line) => parseDummyJournalLine(line) ?? []);
}
