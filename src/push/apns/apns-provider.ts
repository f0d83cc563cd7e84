import type { Logger } from '../../log.js';
import { jsonObject } from '../../json-object.js';
import { brief } from '../answer-text.js';
import { parseRetryAfter } from '../backoff.js';
import type { ApnsConfig } from '../config.js';
import type { ApnsCertificate, ApnsSigningKey } from '../credentials.js';
import { Http2Origin, TransportError, type Http2Answer } from '../http2-origin.js';
import type { PushJob } from '../job.js';
import type { AttemptResult, PushProvider, SendContext } from '../provider.js';
import { apnsTopic, type ApnsTarget } from '../push-target.js';
import { apnsPayload, apnsPayloadLimit } from './apns-payload.js';
import { ProviderTokens } from './provider-token.js';

/** Device tokens are hex; Apple says their length may change, so only the form is checked (Flexisip: 64). */
const DEVICE_TOKEN = /^[0-9a-fA-F]{16,400}$/;

type Auth = { kind: 'certificate'; certificate: ApnsCertificate } | { kind: 'token'; key: ApnsSigningKey };

/**
 * APNs over HTTP/2: `POST /3/device/<token>` on the production or sandbox host (pn-provider apns or apns.dev).
 * Authentication per app: a client certificate configured for the bundle (Flexisip's way), else a provider token
 * signed with the key of the app's team (or the only key configured: legacy contacts carry Flexisip's placeholder
 * team ABCD1234). One session per (host, certificate) and per (host, team), kept open and reused.
 */
export class ApnsProvider implements PushProvider {
  readonly name = 'apns' as const;
  readonly tokens: ProviderTokens;
  private readonly origins = new Map<string, Http2Origin>();

  constructor(
    private readonly config: ApnsConfig,
    private readonly credentials: { signingKeys: readonly ApnsSigningKey[]; certificates: readonly ApnsCertificate[] },
    private readonly ca: string | undefined,
    private readonly log: Logger,
    options: { now?: () => number } = {},
  ) {
    this.tokens = new ProviderTokens({ refreshMinutes: config.tokenRefreshMinutes, now: options.now });
  }

  /** The session an app's pushes use (created on first use); undefined when no credentials serve the app. */
  originFor(target: ApnsTarget): { origin: Http2Origin; auth: Auth } | undefined {
    const auth = this.authFor(target);
    if (!auth) return undefined;
    const base = target.environment === 'sandbox' ? this.config.sandboxUrl : this.config.productionUrl;
    const id = `${base}|${auth.kind === 'certificate' ? `cert:${auth.certificate.bundle}` : `team:${auth.key.teamId}`}`;
    let origin = this.origins.get(id);
    if (!origin) {
      const tls = auth.kind === 'certificate' ? { cert: auth.certificate.cert, key: auth.certificate.key } : {};
      origin = new Http2Origin(new URL(base).origin, { ...tls, ...(this.ca ? { ca: this.ca } : {}) }, this.log);
      this.origins.set(id, origin);
    }
    return { origin, auth };
  }

  private authFor(target: ApnsTarget): Auth | undefined {
    const certificate = this.credentials.certificates.find((entry) => entry.bundle === target.bundle);
    if (certificate) return { kind: 'certificate', certificate };
    const keys = this.credentials.signingKeys;
    const key = keys.find((entry) => entry.teamId === target.teamId) ?? (keys.length === 1 ? keys[0] : undefined);
    return key ? { kind: 'token', key } : undefined;
  }

  async send(job: PushJob, context: SendContext): Promise<AttemptResult> {
    const target = job.target;
    if (target.provider !== 'apns') throw new Error('ApnsProvider.send: not an APNs target');
    if (!DEVICE_TOKEN.test(target.token)) return { kind: 'invalid-token', status: 0, answer: 'not a hex device token' };
    if (job.kind === 'cancel' && target.service === 'voip') {
      // iOS kills an app that reports no new call for a VoIP push: a cancelled call is announced by an alert only.
      return { kind: 'rejected', answer: 'a cancelled call is never sent as a VoIP push', reason: 'bad-request' };
    }
    const route = this.originFor(target);
    if (!route) {
      return {
        kind: 'rejected',
        answer: `no certificate for ${target.bundle} and no signing key for team ${target.teamId}`,
        reason: 'no-credentials',
      };
    }
    const body = JSON.stringify(apnsPayload(job, target, context.ttlS, context.now));
    if (Buffer.byteLength(body) > apnsPayloadLimit(target)) {
      return { kind: 'rejected', answer: `payload over ${apnsPayloadLimit(target)} bytes`, reason: 'bad-request' };
    }
    const headers: Record<string, string> = {
      'apns-topic': apnsTopic(target),
      'apns-push-type': target.service === 'voip' ? 'voip' : 'alert',
      'apns-priority': '10',
      // Apple stores an undeliverable push until then; past the call's end a wake-up is useless.
      'apns-expiration': String(Math.floor(context.now / 1000) + Math.max(0, Math.floor(context.ttlS))),
      'content-type': 'application/json',
    };
    let bearer: string | undefined;
    if (route.auth.kind === 'token') {
      bearer = await this.tokens.token(route.auth.key);
      headers['authorization'] = `bearer ${bearer}`;
    }
    let answer: Http2Answer;
    try {
      answer = await route.origin.request({
        method: 'POST',
        path: `/3/device/${target.token}`,
        headers,
        body,
        timeoutMs: context.timeoutMs,
      });
    } catch (error) {
      return { kind: 'retry', answer: error instanceof TransportError ? error.message : String(error) };
    }
    const result = classifyApnsAnswer(answer);
    if (result.kind === 'retry' && result.status === 403 && route.auth.kind === 'token' && bearer) {
      this.tokens.invalidate(route.auth.key, bearer);
    }
    return result;
  }

  async close(): Promise<void> {
    await Promise.all([...this.origins.values()].map((origin) => origin.close()));
  }
}

/** Reasons that mean the token is dead for this app and environment: the binding is flagged. */
const INVALID_TOKEN_REASONS = new Set(['Unregistered', 'ExpiredToken', 'BadDeviceToken']);
/** Reasons that mean our credentials are refused. */
const AUTH_REASONS = new Set([
  'InvalidProviderToken',
  'MissingProviderToken',
  'BadCertificate',
  'BadCertificateEnvironment',
  'Forbidden',
]);

/** APNs' answer, classified (Apple: "Handling notification responses from APNs"): `{"reason": "..."}` bodies. */
export function classifyApnsAnswer(answer: Http2Answer): AttemptResult {
  const { status } = answer;
  if (status === 200) {
    return { kind: 'accepted', status, answer: `200 apns-id=${String(answer.headers['apns-id'] ?? '')}` };
  }
  const reason = String(jsonObject(answer.body)?.['reason'] ?? '');
  const text = brief(`${status} ${reason}`);
  if (INVALID_TOKEN_REASONS.has(reason) || status === 410) return { kind: 'invalid-token', status, answer: text };
  if (reason === 'ExpiredProviderToken') return { kind: 'retry', status, answer: text, afterMs: 0 };
  if (AUTH_REASONS.has(reason) || status === 403) return { kind: 'rejected', status, answer: text, reason: 'auth' };
  if (status === 429 || status >= 500) {
    return { kind: 'retry', status, answer: text, afterMs: parseRetryAfter(answer.headers['retry-after']) };
  }
  return { kind: 'rejected', status, answer: text, reason: 'bad-request' };
}
