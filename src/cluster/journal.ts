import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

/** One leader action as the audit journal records it: who, under which term, what, and when. */
export interface JournalEntry {
  node: string;
  term: number;
  action: string;
  /** Wall-clock time in milliseconds with sub-millisecond precision (comparable across processes of one host). */
  wallMs: number;
  /** This process's monotonic time in milliseconds. */
  monoMs: number;
}

/**
 * The audit journal of leader actions (Jepsen's way: safety is checked on the history, not the end state).
 * Each line is written synchronously before the action it records, so a line always precedes its side effect.
 */
export class LeaderJournal {
  constructor(
    private readonly path: string,
    private readonly node: string,
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  record(term: number, action: string): void {
    const monoMs = performance.now();
    const entry: JournalEntry = { node: this.node, term, action, wallMs: performance.timeOrigin + monoMs, monoMs };
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
  }
}

/**
 * Checks merged journals as a mutex: every action of a term happens before the first action of any newer term,
 * and no term is used by two nodes. Returns the violations in words (empty when the history is safe).
 */
export function checkJournalMutex(entries: readonly JournalEntry[]): string[] {
  const violations: string[] = [];
  const nodeOfTerm = new Map<number, string>();
  const firstOfTerm = new Map<number, JournalEntry>();
  for (const entry of entries) {
    const owner = nodeOfTerm.get(entry.term);
    if (owner !== undefined && owner !== entry.node) {
      violations.push(`term ${entry.term} used by ${owner} and ${entry.node}`);
    }
    nodeOfTerm.set(entry.term, entry.node);
    const first = firstOfTerm.get(entry.term);
    if (!first || entry.wallMs < first.wallMs) firstOfTerm.set(entry.term, entry);
  }
  for (const entry of entries) {
    for (const [term, first] of firstOfTerm) {
      if (term > entry.term && entry.wallMs >= first.wallMs) {
        violations.push(
          `${entry.node} did "${entry.action}" with term ${entry.term} at ${entry.wallMs.toFixed(1)}, ` +
            `after ${first.node} began term ${term} at ${first.wallMs.toFixed(1)}`,
        );
      }
    }
  }
  return violations;
}
