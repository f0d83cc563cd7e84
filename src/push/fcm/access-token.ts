import { SignJWT } from 'jose';
import type { ServiceAccount } from '../credentials.js';
import type { Http2Origin } from '../http2-origin.js';
import { TransportError } from '../http2-origin.js';
import type { AttemptResult } from '../provider.js';
import { parseRetryAfter } from '../backoff.js';
import { jsonObject } from '../../json-object.js';
import { brief } from '../answer-text.js';

/** The OAuth2 scope FCM HTTP v1 sends need. */
export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** Google accepts assertions valid for at most one hour. */
const ASSERTION_LIFETIME_S = 3600;

export type TokenResult = { ok: true; token: string } | { ok: false; result: AttemptResult };

/**
 * An OAuth2 access token for one service account (RFC 7523 JWT bearer grant, as Google's service accounts use
 * it): an RS256 assertion signed with the account's key, exchanged at its token_uri. The token is cached and
 * replaced `refreshBeforeS` before it expires (at most half its life early), and one exchange serves every
 * request waiting for it. A token FCM refuses (401) is invalidated, so the retry fetches a new one.
 */
export class AccessTokenSource {
  private cached: { token: string; refreshAt: number; expiresAt: number } | undefined;
  private pending: Promise<TokenResult> | undefined;
  /** Exchanges made (tests check the cache). */
  exchanges = 0;

  constructor(
    private readonly account: ServiceAccount,
    private readonly origin: Http2Origin,
    private readonly options: { refreshBeforeS: number; timeoutMs: number; now?: () => number },
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async token(): Promise<TokenResult> {
    const cached = this.cached;
    if (cached && this.now() < cached.refreshAt) return { ok: true, token: cached.token };
    this.pending ??= this.exchange().finally(() => (this.pending = undefined));
    const result = await this.pending;
    // A failed refresh while the old token is still valid keeps the old one: FCM accepts it until it expires.
    if (!result.ok && cached && this.now() < cached.expiresAt && this.cached === cached) {
      return { ok: true, token: cached.token };
    }
    return result;
  }

  /** FCM said the token is no good: forget it (unless a newer one replaced it already). */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async exchange(): Promise<TokenResult> {
    this.exchanges += 1;
    const issuedAt = Math.floor(this.now() / 1000);
    const assertion = await new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.account.privateKeyId })
      .setIssuer(this.account.clientEmail)
      .setAudience(this.account.tokenUri)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ASSERTION_LIFETIME_S)
      .sign(this.account.privateKey);
    const url = new URL(this.account.tokenUri);
    let answer;
    try {
      answer = await this.origin.request({
        method: 'POST',
        path: `${url.pathname}${url.search}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
        timeoutMs: this.options.timeoutMs,
      });
    } catch (error) {
      const message = error instanceof TransportError ? error.message : String(error);
      return { ok: false, result: { kind: 'retry', answer: `token endpoint: ${message}` } };
    }
    const body = jsonObject(answer.body);
    if (answer.status === 200 && typeof body?.['access_token'] === 'string') {
      const lifetimeS = typeof body['expires_in'] === 'number' ? body['expires_in'] : 3600;
      const now = this.now();
      const early = Math.min(this.options.refreshBeforeS, lifetimeS / 2) * 1000;
      this.cached = {
        token: body['access_token'],
        expiresAt: now + lifetimeS * 1000,
        refreshAt: now + lifetimeS * 1000 - early,
      };
      return { ok: true, token: body['access_token'] };
    }
    const what = `token endpoint ${answer.status} ${String(body?.['error'] ?? '')} ${String(body?.['error_description'] ?? '')}`;
    if (answer.status === 429 || answer.status >= 500) {
      const afterMs = parseRetryAfter(answer.headers['retry-after']);
      return { ok: false, result: { kind: 'retry', status: answer.status, answer: brief(what), afterMs } };
    }
    // invalid_grant (bad signature, clock skew, disabled key), invalid_client...: the credentials are refused.
    return { ok: false, result: { kind: 'rejected', status: answer.status, answer: brief(what), reason: 'auth' } };
  }
}
