import type { FailureKind } from './answer-code.js';
import type { DesiredRecords } from './records.js';

/**
 * What `clusterctl status` shows about the external DNS server: plain JSON, times as ISO strings, never a secret.
 *
 * state: `idle` no record set given yet; `pending` a set waits for its first attempt; `updating` a query or an
 * nsupdate is running; `retrying` the last attempt failed and the next one is at `lastFailure.nextRetryAt`;
 * `in-sync` the server was seen holding the newest set; `invalid` the newest set cannot be published (nothing is
 * retried until a new one comes); `closed`.
 */
export interface ExternalUpdateStatus {
  server: string;
  zone: string;
  state: 'idle' | 'pending' | 'updating' | 'retrying' | 'in-sync' | 'invalid' | 'closed';
  /** The newest desired set while the server is not known to hold it. */
  pending: { term: number; records: DesiredRecords; since: string } | undefined;
  /** The last time the server was seen holding the desired set; `changed` when our update put it there. */
  lastSuccess: { at: string; term: number; records: DesiredRecords; changed: boolean } | undefined;
  /** The last failure, kept after a later success for the record (compare the times). */
  lastFailure:
    | {
        at: string;
        term: number;
        kind: FailureKind;
        reason: string;
        rcode?: string;
        tsigError?: string;
        /** When the next attempt is due; absent once a later attempt succeeded or nothing is retried. */
        nextRetryAt?: string;
      }
    | undefined;
  /** Failed attempts since the last success; the backoff grows with it. */
  consecutiveFailures: number;
  /** Prerequisite failures (someone else changed the records) since the updater started. */
  conflicts: number;
}
