import type { Logger } from '../../log.js';
import type { UpdateFailure } from './answer-code.js';
import type { ExternalDnsConfig } from './config.js';
import type { NsupdateRunner } from './nsupdate.js';
import { buildUpdateScript, inSync } from './nsupdate-script.js';
import { QueryFailedError, type QueryTarget } from './query.js';
import { describeRecords, sameRecords, type NameRecords } from './records.js';
import { TsigKeyFileError, readTsigKeyFile } from './tsig-key-file.js';

/** The parts that talk to the outside; tests may replace them. */
export interface UpdaterDeps {
  nsupdate: NsupdateRunner;
  readRecords: (target: QueryTarget, name: string) => Promise<NameRecords>;
}

export interface Round {
  config: ExternalDnsConfig;
  deps: UpdaterDeps;
  log: Logger;
  signal: AbortSignal;
  desired: NameRecords;
  term: number;
  /** What we believe the server holds at the name; undefined = read it first. */
  known: NameRecords | undefined;
  /** What the server held when we last saw it in sync, to tell a change behind our back. */
  published: NameRecords | undefined;
}

/** How a round ended, and what we believe the server holds now (undefined = unknown, read it next time). */
export type RoundOutcome =
  | { ok: true; changed: boolean; known: NameRecords }
  | { ok: false; failure: UpdateFailure; known: NameRecords | undefined };

/**
 * One compare-and-swap round: check the key file, learn the current records (from `known`, else by a query),
 * and send one update whose prerequisites are those records, if they differ from the desired ones.
 * DNS failures are returned, never thrown.
 */
export async function compareAndSwap(round: Round): Promise<RoundOutcome> {
  const { config, deps, log, signal, desired, term } = round;
  const { server, port, zone, keyFile, timeoutMs } = config;
  try {
    await readTsigKeyFile(keyFile);
  } catch (error) {
    if (!(error instanceof TsigKeyFileError)) throw error;
    return { ok: false, failure: { kind: 'key-file', reason: error.message }, known: round.known };
  }
  let current = round.known;
  if (!current) {
    try {
      current = await deps.readRecords({ server, port, timeoutMs, signal }, desired.name);
    } catch (error) {
      if (!(error instanceof QueryFailedError)) throw error;
      return { ok: false, failure: error.failure, known: undefined };
    }
    const published = round.published;
    if (published && published.name === current.name && !sameRecords(published, current) && !inSync(current, desired)) {
      log.warn(
        { term },
        `the server holds ${describeRecords(current)}, not what we published (${describeRecords(published)}): ` +
          'changed behind our back; replacing it',
      );
    }
  }
  if (inSync(current, desired)) return { ok: true, changed: false, known: current };

  // Closing while the key file or the records were read: send nothing more.
  if (signal.aborted)
    return { ok: false, failure: { kind: 'internal', reason: 'the updater is closing' }, known: current };
  const script = buildUpdateScript({ server, port, zone }, current, desired);
  const failure = await deps.nsupdate(script, { keyFile, timeoutMs, signal });
  if (!failure) return { ok: true, changed: true, known: desired };
  if (failure.kind === 'prerequisite') {
    log.warn(
      { term, rcode: failure.rcode },
      `prerequisite failed (${failure.rcode}): ${describeRecords(current)} is no longer what the server holds; ` +
        'someone else changed it; reading it again and retrying',
    );
  }
  // After any failure (a timeout may even have applied the update) the server's state is unknown: read it.
  return { ok: false, failure, known: undefined };
}
