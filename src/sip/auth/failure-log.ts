import type { Logger } from '../../log.js';

/*
 * One log line per failed authentication, for people and for the bans detector (and fail2ban). It is a pino JSON
 * line like every other line of the proxy, with a fixed message and fixed fields in a fixed order, the real client
 * address first:
 *
 *   {"level":40,"time":"...","node":"stg1","component":"sip-auth","client":"203.0.113.7","reason":"bad-password",
 *    "realm":"example.com","user":"alice","sip":{"method":"REGISTER","callId":"..."},"msg":"auth failed"}
 *
 * Everything the peer wrote (user, detail, Call-ID) comes after client and reason and is JSON-escaped by pino, so no
 * username can forge a client address or a reason that a pattern would match (see FAIL2BAN_FAILREGEX).
 */

export const AUTH_FAILED = 'auth failed';

export const AUTH_FAILURE_REASONS = [
  /** No credentials at all: the first request of every exchange; answered with a challenge. */
  'no-credentials',
  /** Credentials only for other realms (a downstream server's, or a misconfigured client). */
  'wrong-realm',
  /** An Authorization header that breaks the grammar, lacks a required field, or uses qop other than auth. */
  'malformed',
  /** An algorithm this domain does not offer, or one the user has no hash for. */
  'unsupported-algorithm',
  /** The digest uri is not the Request-URI. */
  'wrong-uri',
  /** No such user in the domain. */
  'unknown-user',
  /** The response does not match: a wrong password (or HA1). */
  'bad-password',
  /** The right password with a nonce that expired or that this process did not issue (failover, restart). */
  'stale-nonce',
  /** The opaque value of another realm or process, with a nonce of ours. */
  'bad-opaque',
  /** A nonce count used before with this nonce: a replay. */
  'replayed-nonce',
  /** The same nonce count from the same transaction again: a UDP retransmission (or a verbatim replay). */
  'retransmission',
  /** Valid credentials of one user for a request in another user's name. */
  'identity-mismatch',
  /** A request for a domain that has no auth configuration. */
  'unknown-domain',
] as const;

export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

/** Outcomes that a working client meets in the normal course of things: logged at info, the others at warn. */
export const ROUTINE_REASONS: ReadonlySet<AuthFailureReason> = new Set([
  'no-credentials',
  'stale-nonce',
  'retransmission',
]);

/**
 * A fail2ban failregex for these lines: it counts every reason but the routine ones. `<HOST>` is fail2ban's.
 * Documented in src/sip/README.md (a test keeps the two the same).
 */
export const FAIL2BAN_FAILREGEX =
  '^\\{.*"client":"<HOST>","reason":"(?!no-credentials"|stale-nonce"|retransmission")[a-z-]+",.*"msg":"auth failed"\\}$';

export interface AuthFailure {
  /** The real client address (the transport's source, PROXY protocol applied). */
  readonly client: string;
  readonly reason: AuthFailureReason;
  /** The realm challenged in, or for unknown-domain the domain asked for. */
  readonly realm: string;
  /** The digest username when credentials were read, else the user the request claims to be. */
  readonly user: string;
  /** More for people, never for patterns (parse errors, which check failed). */
  readonly detail?: string | undefined;
  readonly method: string;
  readonly callId: string;
}

/** The longest user or detail written: enough to recognise, not a channel for megabytes of attacker text. */
const MAX_TEXT = 128;

export function logAuthFailure(log: Logger, failure: AuthFailure): void {
  const line: Record<string, unknown> = {
    client: failure.client,
    reason: failure.reason,
    realm: clip(failure.realm),
    user: clip(failure.user),
  };
  if (failure.detail !== undefined) line['detail'] = clip(failure.detail);
  line['sip'] = { method: clip(failure.method), callId: clip(failure.callId) };
  if (ROUTINE_REASONS.has(failure.reason)) log.info(line, AUTH_FAILED);
  else log.warn(line, AUTH_FAILED);
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}...` : text;
}
