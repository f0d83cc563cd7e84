import type { PushJob } from './job.js';

/**
 * What a provider made of one send attempt, already classified, so that the worker decides without knowing any
 * provider's error vocabulary:
 * - accepted: the provider took the push (it is now the provider's to deliver);
 * - invalid-token: the token will never work again (uninstalled app, token of another environment): the binding
 *   is flagged and the job fails;
 * - retry: worth another attempt (5xx, 429, network, an auth token the provider found stale); `afterMs` is the
 *   provider's own wish (Retry-After), if it said one;
 * - rejected: will fail again the same way (a malformed request, credentials the provider refuses).
 * `status` is the HTTP status when there was an answer; `answer` is the provider's answer in a few words
 * (`200 apns-id=...`, `410 Unregistered`, `connect ECONNREFUSED`), shown to operators as is.
 */
export type AttemptResult =
  | { kind: 'accepted'; status: number; answer: string }
  | { kind: 'invalid-token'; status: number; answer: string }
  | { kind: 'retry'; status?: number; answer: string; afterMs?: number }
  | { kind: 'rejected'; status?: number; answer: string; reason: RejectReason };

/** Why a provider refused for good, as a closed set (it labels metrics). */
export type RejectReason = 'bad-request' | 'auth' | 'no-credentials';

export interface SendContext {
  /** Seconds the push stays useful: its time-to-live at the provider (FCM ttl, APNs expiration). */
  ttlS: number;
  /** When the push is sent (the payload carries it as send-time). */
  now: number;
  timeoutMs: number;
}

export interface PushProvider {
  readonly name: 'fcm' | 'apns';
  /** One attempt. Never throws: every failure is an AttemptResult. */
  send(job: PushJob, context: SendContext): Promise<AttemptResult>;
  close(): Promise<void>;
}
