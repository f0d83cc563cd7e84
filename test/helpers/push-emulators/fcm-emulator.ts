import { randomBytes, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { TestDevice } from './device.js';
import { H2Server, type EmulatorAnswer, type EmulatorRequest } from './h2-server.js';
import { checkFcmSend } from './fcm-message-checks.js';
import { Script, type ScriptedAnswer } from './script.js';
import type { TestPki } from './tls.js';

/** A service account the emulator knows: what Google holds of it (its public key), not its private key. */
export interface EmulatedAccount {
  projectId: string;
  clientEmail: string;
  privateKeyId: string;
  publicKey: KeyObject;
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

/**
 * A local stand-in for FCM HTTP v1 and Google's OAuth2 token endpoint, over HTTP/2 with TLS. It checks what they
 * check: the token request's JWT assertion (RS256 signature against the account's public key, kid, iss, aud =
 * the token URL, scope, iat/exp within one hour), then each send's bearer token (issued here, unexpired, for the
 * project in the path), the JSON shape and sizes of the message, and the registration token. Answers use the
 * real success and error bodies.
 */
export class FcmEmulator {
  readonly script = new Script();
  private readonly accounts = new Map<string, EmulatedAccount>();
  private readonly issued = new Map<string, { projectId: string; expiresAt: number }>();
  private readonly devices = new Map<string, TestDevice>();
  tokenRequests = 0;
  sendRequests = 0;
  accepted = 0;
  /** How long issued access tokens live (Google: 3599 s). */
  tokenLifetimeS = 3599;

  private constructor(private server: H2Server | undefined) {}

  static async start(pki: TestPki, accounts: EmulatedAccount[] = []): Promise<FcmEmulator> {
    const emulator = new FcmEmulator(undefined);
    for (const account of accounts) emulator.addAccount(account);
    // HTTP/1.1 allowed too: Google's token endpoint serves both.
    emulator.server = await H2Server.start({ ...pki.server, allowHTTP1: true }, (request) => emulator.handle(request));
    return emulator;
  }

  private get h2(): H2Server {
    if (!this.server) throw new Error('FCM emulator not started');
    return this.server;
  }

  get url(): string {
    return this.h2.url;
  }

  get tokenUri(): string {
    return `${this.url}/token`;
  }

  get sessions(): number {
    return this.h2.sessions;
  }

  addAccount(account: EmulatedAccount): void {
    this.accounts.set(account.privateKeyId, account);
  }

  /** A device with a registration token valid for the project. */
  device(token: string, projectId: string): TestDevice {
    const device = new TestDevice(token, projectId);
    this.devices.set(token, device);
    return device;
  }

  /** Every access token issued so far stops being valid (as if an hour had passed). */
  expireAccessTokens(): void {
    for (const token of this.issued.values()) token.expiresAt = 0;
  }

  failNext(count: number, answer: ScriptedAnswer): void {
    this.script.failNext(count, answer);
  }

  goAwayAfterNext(): void {
    this.h2.goAwayAfterNext();
  }

  close(): Promise<void> {
    return this.h2.close();
  }

  private async handle(request: EmulatorRequest): Promise<EmulatorAnswer> {
    const path = request.path.split('?')[0] ?? '';
    if (request.method === 'POST' && path === '/token') return this.token(request);
    const send = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(path);
    if (request.method === 'POST' && send) return this.send(request, decodeURIComponent(send[1]!));
    return fcmError(404, 'NOT_FOUND', `The requested URL ${path} was not found on this server.`);
  }

  private async token(request: EmulatorRequest): Promise<EmulatorAnswer> {
    this.tokenRequests += 1;
    const form = new URLSearchParams(request.body.toString('utf8'));
    const grant = (description: string) => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: description },
    });
    if (form.get('grant_type') !== JWT_BEARER) {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' } };
    }
    const assertion = form.get('assertion') ?? '';
    let header;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      return grant('Invalid JWT: the assertion is not a JWT.');
    }
    const account = typeof header.kid === 'string' ? this.accounts.get(header.kid) : undefined;
    if (header.alg !== 'RS256' || !account) return grant('Invalid JWT Signature.');
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(assertion, account.publicKey, {
        algorithms: ['RS256'],
        issuer: account.clientEmail,
        audience: this.tokenUri,
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED')
        return grant(
          'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
        );
      if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return grant('Invalid JWT Signature.');
      return grant(`Invalid JWT: ${(error as Error).message}`);
    }
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp, scope } = claims as { iat?: number; exp?: number; scope?: string };
    if (typeof iat !== 'number' || typeof exp !== 'number' || iat > now + 60 || exp - iat > 3600 || exp <= now) {
      return grant(
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    if (typeof scope !== 'string' || !scope.split(' ').includes(SCOPE)) {
      return {
        status: 400,
        body: { error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' },
      };
    }
    const accessToken = `ya29.emu-${randomBytes(24).toString('base64url')}`;
    this.issued.set(accessToken, { projectId: account.projectId, expiresAt: Date.now() + this.tokenLifetimeS * 1000 });
    return { status: 200, body: { access_token: accessToken, expires_in: this.tokenLifetimeS, token_type: 'Bearer' } };
  }

  private async send(request: EmulatorRequest, project: string): Promise<EmulatorAnswer> {
    this.sendRequests += 1;
    const bearer = /^Bearer (\S+)$/.exec(String(request.headers['authorization'] ?? ''))?.[1];
    const issued = bearer ? this.issued.get(bearer) : undefined;
    if (!issued || issued.expiresAt <= Date.now()) {
      return fcmError(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      );
    }
    if (issued.projectId !== project) {
      return fcmError(
        403,
        'PERMISSION_DENIED',
        `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${project}' (or it may not exist).`,
      );
    }
    const checked = checkFcmSend(request.body);
    if (!checked.ok) return checked.answer;
    const device = this.devices.get(checked.token);
    if (!device) {
      return /^[A-Za-z0-9_:-]{20,}$/.test(checked.token)
        ? fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED')
        : fcmError(
            400,
            'INVALID_ARGUMENT',
            'The registration token is not a valid FCM registration token',
            'INVALID_ARGUMENT',
          );
    }
    if (device.unregisteredAt !== undefined)
      return fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED');
    if (device.scope !== project) return fcmError(403, 'PERMISSION_DENIED', 'SenderId mismatch', 'SENDER_ID_MISMATCH');
    const failure = this.script.nextFailure();
    if (failure) return failure;
    const held = this.script.nextHold();
    device.receive({ headers: request.headers, payload: checked.message, at: Date.now() });
    if (held) await held;
    this.accepted += 1;
    return {
      status: 200,
      body: { name: `projects/${project}/messages/0:${Date.now()}%${randomBytes(8).toString('hex')}` },
    };
  }
}

/** A v1 error body: `{"error": {"code", "message", "status", "details": [FcmError]}}`. */
export function fcmError(
  code: number,
  status: string,
  message: string,
  errorCode?: string,
  headers?: Record<string, string>,
): EmulatorAnswer & ScriptedAnswer {
  const details = errorCode
    ? [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }]
    : undefined;
  return { status: code, headers, body: { error: { code, message, status, ...(details ? { details } : {}) } } };
}

/** The scripted provider errors tests use, with FCM's real codes and statuses. */
export const FCM_ERRORS = {
  UNAVAILABLE: fcmError(503, 'UNAVAILABLE', 'The service is currently unavailable.', 'UNAVAILABLE'),
  INTERNAL: fcmError(500, 'INTERNAL', 'Internal error encountered.', 'INTERNAL'),
  QUOTA_EXCEEDED: (retryAfterS: number) =>
    fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric.', 'QUOTA_EXCEEDED', {
      'retry-after': String(retryAfterS),
    }),
  UNREGISTERED: fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'),
  INVALID_ARGUMENT: fcmError(
    400,
    'INVALID_ARGUMENT',
    'The registration token is not a valid FCM registration token',
    'INVALID_ARGUMENT',
  ),
};
