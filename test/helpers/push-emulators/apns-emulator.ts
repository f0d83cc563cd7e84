import { randomUUID, type KeyObject } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { TestDevice } from './device.js';
import { H2Server, type EmulatorAnswer, type EmulatorRequest } from './h2-server.js';
import { Script, type ScriptedAnswer } from './script.js';
import type { TestPki } from './tls.js';

const PUSH_TYPES = [
  'alert',
  'background',
  'voip',
  'complication',
  'fileprovider',
  'mdm',
  'location',
  'liveactivity',
  'pushtotalk',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An APNs error answer: `{"reason": ...}` (410 adds the time the token became invalid, in ms). */
export function apnsError(status: number, reason: string, headers?: Record<string, string>): ScriptedAnswer {
  return { status, headers, body: status === 410 ? { reason, timestamp: Date.now() } : { reason } };
}

export const APNS_ERRORS = {
  TooManyRequests: (retryAfterS?: number) =>
    apnsError(429, 'TooManyRequests', retryAfterS === undefined ? undefined : { 'retry-after': String(retryAfterS) }),
  InternalServerError: apnsError(500, 'InternalServerError'),
  ServiceUnavailable: apnsError(503, 'ServiceUnavailable'),
  Unregistered: apnsError(410, 'Unregistered'),
  BadDeviceToken: apnsError(400, 'BadDeviceToken'),
  ExpiredProviderToken: apnsError(403, 'ExpiredProviderToken'),
  InvalidProviderToken: apnsError(403, 'InvalidProviderToken'),
};

/**
 * A local stand-in for one APNs environment (production or sandbox: start one of each), HTTP/2 only, over TLS
 * with a test certificate. It checks what APNs checks: the method and path (`/3/device/<hex token>`); the
 * provider token (ES256 signature against the registered key of its `kid`, `iss` = that key's team, `iat` not
 * older than an hour) or else a client certificate from the trusted CA whose subject UID is the app's bundle;
 * `apns-topic` (a known app of that team, `.voip` exactly for `apns-push-type: voip`), `apns-push-type`,
 * `apns-priority` (10, 5 or 1), `apns-expiration`, `apns-id`, the payload (non-empty; at most 5120 bytes for VoIP,
 * 4096 otherwise) and the device token (known, for that topic, not unregistered). Answers are APNs' own.
 */
export class ApnsEmulator {
  readonly script = new Script();
  private readonly keys = new Map<string, { teamId: string; publicKey: KeyObject }>();
  private readonly apps = new Map<string, string>(); // bundle -> team
  private readonly devices = new Map<string, TestDevice>();
  requests = 0;
  accepted = 0;

  private constructor(
    private readonly server: H2Server,
    readonly environment: 'production' | 'sandbox',
  ) {}

  static async start(pki: TestPki, environment: 'production' | 'sandbox' = 'production'): Promise<ApnsEmulator> {
    // The handler needs the emulator and the emulator needs the server: the handler reads it once it exists.
    const holder: { emulator?: ApnsEmulator } = {};
    const server = await H2Server.start({ ...pki.server, ca: pki.ca, requestCert: true }, (request) =>
      holder.emulator!.handle(request),
    );
    holder.emulator = new ApnsEmulator(server, environment);
    return holder.emulator;
  }

  get url(): string {
    return this.server.url;
  }

  get sessions(): number {
    return this.server.sessions;
  }

  addKey(teamId: string, keyId: string, publicKey: KeyObject): void {
    this.keys.set(keyId, { teamId, publicKey });
  }

  addApp(bundle: string, teamId: string): void {
    this.apps.set(bundle, teamId);
  }

  /** A device token for an app's VoIP (PushKit) or remote-notification topic. */
  device(token: string, bundle: string, service: 'voip' | 'remote'): TestDevice {
    const device = new TestDevice(token, service === 'voip' ? `${bundle}.voip` : bundle);
    this.devices.set(token.toLowerCase(), device);
    return device;
  }

  failNext(count: number, answer: ScriptedAnswer): void {
    this.script.failNext(count, answer);
  }

  goAwayAfterNext(): void {
    this.server.goAwayAfterNext();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(request: EmulatorRequest): Promise<EmulatorAnswer> {
    this.requests += 1;
    if (request.method !== 'POST') return apnsError(405, 'MethodNotAllowed');
    const token = /^\/3\/device\/([^/?]+)$/.exec(request.path)?.[1];
    if (!token) return apnsError(404, 'BadPath');
    if (!/^[0-9a-fA-F]+$/.test(token)) return apnsError(400, 'BadDeviceToken');

    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const auth = await this.authenticate(request, header('authorization'));
    if ('status' in auth) return auth;

    const pushType = header('apns-push-type');
    if (pushType !== undefined && !PUSH_TYPES.includes(pushType)) return apnsError(400, 'InvalidPushType');
    let topic = header('apns-topic');
    if (topic === undefined) {
      if (auth.kind === 'token') return apnsError(400, 'MissingTopic');
      topic = pushType === 'voip' ? `${auth.bundle}.voip` : auth.bundle;
    }
    const voipTopic = topic.endsWith('.voip');
    const bundle = voipTopic ? topic.slice(0, -'.voip'.length) : topic;
    if ((pushType === 'voip') !== voipTopic) return apnsError(400, 'InvalidPushType');
    const team = this.apps.get(bundle);
    if (team === undefined || (auth.kind === 'token' ? team !== auth.teamId : bundle !== auth.bundle)) {
      return apnsError(400, 'TopicDisallowed');
    }
    const priority = header('apns-priority');
    if (priority !== undefined && !['10', '5', '1'].includes(priority)) return apnsError(400, 'BadPriority');
    const expiration = header('apns-expiration');
    if (expiration !== undefined && !/^\d+$/.test(expiration)) return apnsError(400, 'BadExpirationDate');
    const apnsId = header('apns-id');
    if (apnsId !== undefined && !UUID.test(apnsId)) return apnsError(400, 'BadMessageId');

    if (request.body.length === 0) return apnsError(400, 'PayloadEmpty');
    if (request.body.length > (voipTopic ? 5120 : 4096)) return apnsError(413, 'PayloadTooLarge');

    const device = this.devices.get(token.toLowerCase());
    if (!device) return apnsError(400, 'BadDeviceToken');
    if (device.unregisteredAt !== undefined) return apnsError(410, 'Unregistered');
    if (device.scope !== topic) return apnsError(400, 'DeviceTokenNotForTopic');

    const failure = this.script.nextFailure();
    if (failure) return failure;
    const held = this.script.nextHold();
    device.receive({ headers: request.headers, payload: parsePayload(request.body), at: Date.now() });
    if (held) await held;
    this.accepted += 1;
    return { status: 200, headers: { 'apns-id': apnsId ?? randomUUID().toUpperCase() } };
  }

  private async authenticate(
    request: EmulatorRequest,
    authorization: string | undefined,
  ): Promise<{ kind: 'token'; teamId: string } | { kind: 'certificate'; bundle: string } | ScriptedAnswer> {
    if (authorization !== undefined) {
      const jwt = /^bearer (\S+)$/i.exec(authorization)?.[1];
      if (!jwt) return apnsError(403, 'InvalidProviderToken');
      let kid: unknown;
      let alg: unknown;
      try {
        ({ kid, alg } = decodeProtectedHeader(jwt));
      } catch {
        return apnsError(403, 'InvalidProviderToken');
      }
      const key = typeof kid === 'string' ? this.keys.get(kid) : undefined;
      if (alg !== 'ES256' || !key) return apnsError(403, 'InvalidProviderToken');
      try {
        await jwtVerify(jwt, key.publicKey, { algorithms: ['ES256'], issuer: key.teamId });
      } catch {
        return apnsError(403, 'InvalidProviderToken');
      }
      const { iat } = decodeJwt(jwt);
      const now = Date.now() / 1000;
      if (typeof iat !== 'number' || iat > now + 60) return apnsError(403, 'InvalidProviderToken');
      if (now - iat > 3600) return apnsError(403, 'ExpiredProviderToken');
      return { kind: 'token', teamId: key.teamId };
    }
    const socket = request.request.socket as unknown as TLSSocket;
    const peer = socket.getPeerCertificate?.();
    if (!peer || Object.keys(peer).length === 0) return apnsError(403, 'MissingProviderToken');
    const uid = (peer.subject as unknown as Record<string, string | undefined>)['UID'];
    if (!socket.authorized || !uid) return apnsError(403, 'BadCertificate');
    return { kind: 'certificate', bundle: uid };
  }
}

function parsePayload(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return body.toString('utf8');
  }
}
