import type { Logger } from '../../log.js';
import { jsonObject } from '../../json-object.js';
import { brief } from '../answer-text.js';
import { parseRetryAfter } from '../backoff.js';
import type { FcmConfig } from '../config.js';
import type { ServiceAccount } from '../credentials.js';
import { Http2Origin, TransportError, type Http2Answer } from '../http2-origin.js';
import type { PushJob } from '../job.js';
import type { AttemptResult, PushProvider, SendContext } from '../provider.js';
import { AccessTokenSource } from './access-token.js';
import { fcmDataBytes, FCM_MAX_DATA_BYTES, fcmMessage } from './fcm-payload.js';

/**
 * FCM HTTP v1: `POST <baseUrl>/v1/projects/<project id>/messages:send` with an OAuth2 bearer token of the service
 * account that serves the app's project (the pn-param). One HTTP/2 session to FCM and one per token endpoint.
 */
export class FcmProvider implements PushProvider {
  readonly name = 'fcm' as const;
  readonly origin: Http2Origin;
  private readonly tokenOrigins = new Map<string, Http2Origin>();
  private readonly tokens = new Map<string, AccessTokenSource>();
  private readonly accounts = new Map<string, ServiceAccount>();

  constructor(
    private readonly config: FcmConfig,
    accounts: readonly ServiceAccount[],
    private readonly tls: { ca?: string },
    private readonly log: Logger,
    private readonly options: { now?: () => number; requestTimeoutMs: number },
  ) {
    this.origin = new Http2Origin(new URL(config.baseUrl).origin, tls, log);
    for (const account of accounts) this.accounts.set(account.project, account);
  }

  /** The token source of a project's service account (created on first use). */
  tokenSource(project: string): AccessTokenSource | undefined {
    const account = this.accounts.get(project);
    if (!account) return undefined;
    let source = this.tokens.get(project);
    if (!source) {
      const tokenOrigin = new URL(account.tokenUri).origin;
      let origin = this.tokenOrigins.get(tokenOrigin);
      if (!origin) {
        origin = new Http2Origin(tokenOrigin, this.tls, this.log);
        this.tokenOrigins.set(tokenOrigin, origin);
      }
      source = new AccessTokenSource(account, origin, {
        refreshBeforeS: this.config.refreshBeforeExpiryS,
        timeoutMs: this.options.requestTimeoutMs,
        now: this.options.now,
      });
      this.tokens.set(project, source);
    }
    return source;
  }

  async send(job: PushJob, context: SendContext): Promise<AttemptResult> {
    if (job.target.provider !== 'fcm') throw new Error('FcmProvider.send: not an FCM target');
    const account = this.accounts.get(job.target.project);
    const source = this.tokenSource(job.target.project);
    if (!account || !source) {
      return {
        kind: 'rejected',
        answer: `no service account configured for FCM project ${job.target.project}`,
        reason: 'no-credentials',
      };
    }
    const body = fcmMessage(job, context.ttlS, context.now);
    const data = (body.message['android'] as { data: Record<string, string> }).data;
    if (fcmDataBytes(data) > FCM_MAX_DATA_BYTES) {
      return { kind: 'rejected', answer: `data payload over ${FCM_MAX_DATA_BYTES} bytes`, reason: 'bad-request' };
    }
    const token = await source.token();
    if (!token.ok) return token.result;
    let answer: Http2Answer;
    try {
      answer = await this.origin.request({
        method: 'POST',
        path: `${new URL(this.config.baseUrl).pathname.replace(/\/$/, '')}/v1/projects/${encodeURIComponent(account.projectId)}/messages:send`,
        headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json; charset=UTF-8' },
        body: JSON.stringify(body),
        timeoutMs: context.timeoutMs,
      });
    } catch (error) {
      return { kind: 'retry', answer: error instanceof TransportError ? error.message : String(error) };
    }
    const result = classifyFcmAnswer(answer);
    if (answer.status === 401 && result.kind === 'retry') source.invalidate(token.token);
    return result;
  }

  async close(): Promise<void> {
    await Promise.all([this.origin.close(), ...[...this.tokenOrigins.values()].map((origin) => origin.close())]);
  }
}

/**
 * FCM's answer, classified (firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode). The v1 error body is
 * `{"error":{"code","message","status","details":[{"@type":"...FcmError","errorCode"}, {"@type":"...BadRequest",
 * "fieldViolations":[...]}]}}`.
 */
export function classifyFcmAnswer(answer: Http2Answer): AttemptResult {
  const { status } = answer;
  const body = jsonObject(answer.body);
  if (status === 200) return { kind: 'accepted', status, answer: brief(`200 ${String(body?.['name'] ?? '')}`) };
  const error = (body?.['error'] ?? {}) as Record<string, unknown>;
  const details = Array.isArray(error['details']) ? (error['details'] as Record<string, unknown>[]) : [];
  const errorCode = details.find((detail) => typeof detail['errorCode'] === 'string')?.['errorCode'] as
    string | undefined;
  const violations = details.flatMap((detail) =>
    Array.isArray(detail['fieldViolations']) ? (detail['fieldViolations'] as Record<string, unknown>[]) : [],
  );
  const message = typeof error['message'] === 'string' ? error['message'] : '';
  const code = errorCode ?? (typeof error['status'] === 'string' ? error['status'] : '');
  const text = brief(`${status} ${code} ${message}`);

  if (errorCode === 'UNREGISTERED' || (status === 404 && !errorCode))
    return { kind: 'invalid-token', status, answer: text };
  if (status === 400 || errorCode === 'INVALID_ARGUMENT') {
    // The same code covers a bad token and a bad message; only the token case is the binding's fault.
    const aboutToken =
      violations.some((violation) => violation['field'] === 'message.token') ||
      (violations.length === 0 && /registration token/i.test(message));
    return aboutToken
      ? { kind: 'invalid-token', status, answer: text }
      : { kind: 'rejected', status, answer: text, reason: 'bad-request' };
  }
  if (status === 401) {
    // THIRD_PARTY_AUTH_ERROR: the APNs credentials in the Firebase project are wrong; a new token cannot help.
    if (errorCode === 'THIRD_PARTY_AUTH_ERROR') return { kind: 'rejected', status, answer: text, reason: 'auth' };
    return { kind: 'retry', status, answer: text, afterMs: 0 };
  }
  if (status === 403) return { kind: 'rejected', status, answer: text, reason: 'auth' };
  if (status === 429 || status >= 500) {
    return { kind: 'retry', status, answer: text, afterMs: parseRetryAfter(answer.headers['retry-after']) };
  }
  return { kind: 'rejected', status, answer: text, reason: 'bad-request' };
}
