import { SignJWT } from 'jose';
import type { ApnsSigningKey } from '../credentials.js';

/**
 * APNs provider authentication tokens: an ES256 JWT (header `kid` = key id, claims `iss` = team id, `iat`) signed
 * with the team's .p8 key. Apple refuses a token older than one hour (403 ExpiredProviderToken) and one replaced
 * more often than every 20 minutes (429 TooManyProviderTokenUpdates), so a token is reused for `refreshMinutes`
 * (20-55) and then replaced. A token Apple calls expired is replaced at once, whatever its age: Apple's clock
 * decides, and a skewed local clock would otherwise keep failing for the rest of the window.
 */
export class ProviderTokens {
  private readonly cached = new Map<string, { token: string; issuedAt: number }>();
  private readonly pending = new Map<string, Promise<string>>();
  /** Tokens signed (tests check reuse and refresh). */
  signed = 0;

  constructor(private readonly options: { refreshMinutes: number; now?: () => number }) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async token(key: ApnsSigningKey): Promise<string> {
    const id = `${key.teamId}.${key.keyId}`;
    const cached = this.cached.get(id);
    if (cached && this.now() - cached.issuedAt < this.options.refreshMinutes * 60_000) return cached.token;
    let pending = this.pending.get(id);
    if (!pending) {
      pending = this.sign(key, id).finally(() => this.pending.delete(id));
      this.pending.set(id, pending);
    }
    return pending;
  }

  /** Apple said the token is expired: the next request signs a new one (unless one replaced it already). */
  invalidate(key: ApnsSigningKey, token: string): void {
    const id = `${key.teamId}.${key.keyId}`;
    if (this.cached.get(id)?.token === token) this.cached.delete(id);
  }

  private async sign(key: ApnsSigningKey, id: string): Promise<string> {
    const issuedAt = this.now();
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: key.keyId })
      .setIssuer(key.teamId)
      .setIssuedAt(Math.floor(issuedAt / 1000))
      .sign(key.privateKey);
    this.signed += 1;
    this.cached.set(id, { token, issuedAt });
    return token;
  }
}
