import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../log.js';
import { SipParseError, parseUri, type SipRequest, type SipResponse } from '../message/index.js';
import { challengeHeaders, challengeResponse, refusal } from './challenge.js';
import type { LocalDomainAuth, SipAuthConfig } from './config.js';
import type { CredentialLookup } from './credential-store.js';
import { HEX_LENGTH, computeResponse, parseAlgorithm, sameDigest } from './digest-algorithms.js';
import { AUTH_FAILURE_REASONS, logAuthFailure, type AuthFailureReason } from './failure-log.js';
import { claimedUser, domainOfRequest, identityMismatch, type DomainSelector } from './identity.js';
import { NonceCountWindow } from './nonce-counts.js';
import { NonceIssuer } from './nonce.js';
import { selectCredentials } from './select-credentials.js';

/** Who sent the request: the real client address (after PROXY protocol), for the trust check and the log. */
export interface AuthClient {
  readonly address: string;
}

export type AuthOutcome =
  /** Authenticated here: `user` is the digest username, a user of `domain`. */
  | {
      readonly ok: true;
      readonly how: 'digest';
      readonly user: string;
      readonly domain: string;
      readonly realm: string;
    }
  /** The domain's PBX authenticates: forward the request with its Authorization headers untouched. */
  | { readonly ok: true; readonly how: 'pass-through'; readonly user: undefined; readonly domain: string }
  /** A trusted source (the PBX), or ACK and CANCEL, which cannot be challenged (RFC 3261 section 22.1). */
  | { readonly ok: true; readonly how: 'trusted' | 'exempt'; readonly user: undefined; readonly domain: undefined }
  /** Send `response` back (401/407 challenge, 400, or 403); the failure was logged. */
  | { readonly ok: false; readonly response: SipResponse; readonly reason: AuthFailureReason };

export interface DigestAuthenticatorOptions {
  readonly config: SipAuthConfig;
  readonly credentials: CredentialLookup;
  /** The component's logger (`root.child({ component: 'sip-auth' })`): failures are logged on it. */
  readonly log: Logger;
  /** Milliseconds on a clock that never goes back; tests inject one to make nonces expire. */
  readonly now?: () => number;
  /**
   * The To tag of every answer (challenge or refusal); a random one when absent or undefined. A proxy answering
   * without a server transaction passes ChallengeTags.tagFor, to recognise the ACK of its 407 (challenge-tag.ts).
   */
  readonly answerTag?: (request: SipRequest) => string | undefined;
}

const monotonicNow = () => performance.timeOrigin + performance.now();

type Failure = { reason: AuthFailureReason; detail?: string | undefined; user?: string | undefined } & (
  { answer: 'challenge'; stale: boolean } | { answer: 400 | 403; phrase: string }
);

interface FailureNotes {
  readonly user?: string;
  readonly detail?: string;
}

/** Answered with a fresh challenge; `stale` when only the nonce was wrong. */
function challenge(reason: AuthFailureReason, notes: FailureNotes & { stale?: boolean } = {}): Failure {
  return { reason, answer: 'challenge', stale: notes.stale ?? false, user: notes.user, detail: notes.detail };
}

/** Answered with a final 400 or 403 and no challenge: retrying the same credentials cannot help. */
function refuse(reason: AuthFailureReason, status: 400 | 403, phrase: string, notes: FailureNotes = {}): Failure {
  return { reason, answer: status, phrase, user: notes.user, detail: notes.detail };
}

/**
 * Digest authentication (RFC 3261 section 22, RFC 8760 with SHA-256 and MD5, qop=auth) for the request path of the
 * proxy and the registrar. `check` is synchronous and does no I/O: users are in memory, nonces verify by HMAC, and
 * nonce counts are kept in a bounded window. Every refusal is logged as one `auth failed` line (failure-log.ts).
 */
export class DigestAuthenticator {
  /** Outcomes counted by kind, for metrics: ok-digest, ok-pass-through, ok-trusted, ok-exempt, and each reason. */
  readonly counters: Record<string, number> = {};
  private readonly config: SipAuthConfig;
  private readonly credentials: CredentialLookup;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly answerTag: (request: SipRequest) => string | undefined;
  private readonly nonces: NonceIssuer;
  private readonly counts: NonceCountWindow;
  private readonly opaqueKey = createSecretKey(randomBytes(32));
  private readonly opaques = new Map<string, string>();
  private readonly trusted: ReadonlySet<string>;

  constructor(options: DigestAuthenticatorOptions) {
    this.config = options.config;
    this.credentials = options.credentials;
    this.log = options.log;
    this.now = options.now ?? monotonicNow;
    this.answerTag = options.answerTag ?? (() => undefined);
    this.nonces = new NonceIssuer({ lifetimeMs: options.config.nonceLifetimeMs, now: this.now });
    this.counts = new NonceCountWindow(options.config.maxTrackedNonces, (at, now) => this.nonces.isExpired(at, now));
    this.trusted = new Set(options.config.trustedSources.map(plainAddress));
    for (const key of ['ok-digest', 'ok-pass-through', 'ok-trusted', 'ok-exempt', ...AUTH_FAILURE_REASONS]) {
      this.counters[key] = 0;
    }
  }

  /**
   * Decides whether `request` may go on. `domainFor` picks the domain whose policy applies (by default the host of
   * To for REGISTER, of From otherwise). Never throws for bad input: a malformed header gives a 400 outcome.
   */
  check(request: SipRequest, client: AuthClient, domainFor: DomainSelector = domainOfRequest): AuthOutcome {
    if (this.trusted.has(plainAddress(client.address))) return this.pass('trusted');
    if (request.method === 'ACK' || request.method === 'CANCEL') return this.pass('exempt');
    let domainName: string | undefined;
    try {
      domainName = domainFor(request)?.toLowerCase();
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      return this.fail(request, client, '', refuse('malformed', 400, error.reason, { detail: error.message }));
    }
    const domain = domainName === undefined ? undefined : this.config.domains.get(domainName);
    if (domain === undefined) {
      return this.fail(request, client, domainName ?? '', refuse('unknown-domain', 403, 'Domain not served here'));
    }
    if (domain.mode === 'pass-through') {
      this.counters['ok-pass-through']!++;
      return { ok: true, how: 'pass-through', user: undefined, domain: domain.domain };
    }
    let outcome: Failure | string;
    try {
      outcome = this.verify(request, domain);
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      outcome = refuse('malformed', 400, error.reason, { detail: error.message });
    }
    if (typeof outcome !== 'string') return this.fail(request, client, domain.realm, outcome, domain);
    this.counters['ok-digest']!++;
    return { ok: true, how: 'digest', user: outcome, domain: domain.domain, realm: domain.realm };
  }

  /** The checks, in an order that never tells a client more than its credentials deserve; the username when good. */
  private verify(request: SipRequest, domain: LocalDomainAuth): Failure | string {
    const header = challengeHeaders(request).credentials;
    const selection = selectCredentials(request, header, domain.realm);
    if (selection.kind === 'none') return challenge('no-credentials');
    if (selection.kind === 'other-realms') {
      const realms = selection.realms.map((realm) => JSON.stringify(realm)).join(', ');
      return challenge('wrong-realm', { detail: `credentials for ${realms}` });
    }
    const creds = selection.credentials;
    const user = creds.username;
    const malformed = (detail: string) => refuse('malformed', 400, `Bad ${header} header`, { user, detail });
    if (creds.userhash) return malformed('userhash was not offered');
    if (creds.qop?.toLowerCase() !== 'auth') return malformed('qop=auth is required');
    const algorithm = parseAlgorithm(creds.algorithm);
    if (algorithm === undefined || !domain.algorithms.includes(algorithm)) {
      return challenge('unsupported-algorithm', { user, detail: `algorithm ${creds.algorithm}` });
    }
    if (creds.response.length !== HEX_LENGTH[algorithm]) return malformed(`a response that is not a ${algorithm} hash`);
    // readDigestCredentials guarantees nc and cnonce with a qop.
    const nc = Number.parseInt(creds.nc!, 16);
    if (nc === 0) return malformed('nc 00000000 (counts start at 1)');
    if (!sameRequestUri(creds.uri, request)) {
      return refuse('wrong-uri', 400, 'Digest uri does not match the Request-URI', { user });
    }

    const ha1 = this.credentials.lookup(domain.domain, user)?.ha1;
    if (ha1 === undefined) return challenge('unknown-user', { user });
    const userHa1 = ha1[algorithm];
    if (userHa1 === undefined) {
      return challenge('unsupported-algorithm', { user, detail: `the user has no ${algorithm} hash` });
    }
    const inputs = { ha1: userHa1, nonce: creds.nonce, nc: creds.nc!, cnonce: creds.cnonce!, qop: 'auth' as const };
    const expected = computeResponse(algorithm, { ...inputs, method: request.method, uri: creds.uri });
    if (!sameDigest(creds.response, expected)) return challenge('bad-password', { user });

    // The password is right from here on, so a nonce problem is answered stale=true: the client retries at once.
    const nonce = this.nonces.check(creds.nonce, domain.realm);
    if (nonce.state !== 'fresh') {
      const detail = nonce.state === 'expired' ? 'nonce expired' : 'nonce not issued by this process';
      return challenge('stale-nonce', { user, detail, stale: true });
    }
    if (creds.opaque !== this.opaqueFor(domain.realm)) return challenge('bad-opaque', { user });
    const verdict = this.counts.use(creds.nonce, nonce.issuedAt, nc, this.now(), branchOf(request));
    if (verdict !== 'ok') {
      const reason = verdict === 'forgotten' ? 'stale-nonce' : verdict === 'replayed' ? 'replayed-nonce' : verdict;
      const detail = verdict === 'forgotten' ? 'nonce count window full' : `nc ${creds.nc}`;
      return challenge(reason, { user, detail, stale: true });
    }

    if (domain.identity === 'strict') {
      const mismatch = identityMismatch(request, domain.domain, user);
      if (mismatch !== undefined) {
        return refuse('identity-mismatch', 403, 'Forbidden: identity does not match credentials', {
          user,
          detail: mismatch,
        });
      }
    }
    return user;
  }

  private fail(
    request: SipRequest,
    client: AuthClient,
    realm: string,
    failure: Failure,
    domain?: LocalDomainAuth,
  ): AuthOutcome {
    this.counters[failure.reason]!++;
    logAuthFailure(this.log, {
      client: client.address,
      reason: failure.reason,
      realm,
      user: failure.user ?? claimedUser(request),
      detail: failure.detail,
      method: request.method,
      callId: request.headers.get('call-id') ?? '',
    });
    let response: SipResponse;
    const toTag = this.answerTag(request);
    if (failure.answer === 'challenge' && domain !== undefined) {
      const params = {
        realm: domain.realm,
        nonce: this.nonces.issue(domain.realm),
        opaque: this.opaqueFor(domain.realm),
        algorithms: domain.algorithms,
        stale: failure.stale,
      };
      response = challengeResponse(request, params, toTag);
    } else {
      const phrase = 'phrase' in failure ? failure.phrase : 'Bad Request';
      response = refusal(request, failure.answer === 403 ? 403 : 400, phrase, toTag);
    }
    return { ok: false, response, reason: failure.reason };
  }

  private pass(how: 'trusted' | 'exempt'): AuthOutcome {
    this.counters[`ok-${how}`]!++;
    return { ok: true, how, user: undefined, domain: undefined };
  }

  /** The opaque of a realm in this process: a client must echo it (RFC 7616 section 3.3). */
  private opaqueFor(realm: string): string {
    let opaque = this.opaques.get(realm);
    if (opaque === undefined) {
      opaque = createHmac('sha256', this.opaqueKey).update(realm).digest('base64url').slice(0, 22);
      this.opaques.set(realm, opaque);
    }
    return opaque;
  }
}

/**
 * The digest uri must name the Request-URI (RFC 2617 section 3.2.2.5; a proxy could not otherwise tell a response
 * computed for another request). The same text passes at once; otherwise both are read and compared as URIs.
 */
function sameRequestUri(digestUri: string, request: SipRequest): boolean {
  if (digestUri === request.uriText) return true;
  try {
    return parseUri(digestUri, 'digest uri').equals(request.uri());
  } catch {
    return false;
  }
}

/** What tells a retransmission from a replay: the transaction, named by the top Via branch. */
function branchOf(request: SipRequest): string {
  try {
    return request.topVia().branch ?? '';
  } catch {
    return '';
  }
}

/** An IPv4 address as received on a dual-stack socket (`::ffff:192.0.2.1`) is the IPv4 address. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
