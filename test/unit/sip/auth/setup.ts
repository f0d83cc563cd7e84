import { resolveSipAuthConfig, sipAuthConfigSchema } from '../../../../src/sip/auth/config.js';
import type { UserSecrets } from '../../../../src/sip/auth/credentials-file.js';
import { DigestAuthenticator, type AuthOutcome } from '../../../../src/sip/auth/digest-authenticator.js';
import { parseDatagram, type SipRequest, type SipResponse } from '../../../../src/sip/message/index.js';
import {
  answer,
  challengesIn,
  ha1Of,
  readChallenge,
  requestText,
  type Algorithm,
  type RequestOptions,
} from '../../../fixtures/sip/auth/digest-client.js';
import { captureLog } from '../../../fixtures/sip/auth/log-capture.js';

/*
 * An authenticator with a fake clock, captured logs and in-memory users, for the unit tests:
 *   example.com (local, strict): alice (password "wonderland", both hashes), bob (SHA-256 hash only), carol (MD5 only)
 *   open.example.com (local, identity any, SHA-256 only): gateway (password "gw")
 *   pbx.example.net (pass-through)
 * 10.0.0.5 is trusted. Clients are 203.0.113.7 unless a test says otherwise.
 */

export const CLIENT = { address: '203.0.113.7' };
export const PASSWORDS: Record<string, string> = {
  alice: 'wonderland',
  bob: 'builder',
  carol: 'singer',
  gateway: 'gw',
};

function usersOf(realm: string, names: Record<string, Algorithm[]>): Map<string, UserSecrets> {
  const table = new Map<string, UserSecrets>();
  for (const [name, algorithms] of Object.entries(names)) {
    const ha1: Partial<Record<Algorithm, string>> = {};
    for (const algorithm of algorithms) ha1[algorithm] = ha1Of(algorithm, name, realm, PASSWORDS[name]!);
    table.set(name, { ha1 });
  }
  return table;
}

export function makeAuth(nonceLifetimeS = 300) {
  let now = 10_000_000;
  const config = resolveSipAuthConfig(
    sipAuthConfigSchema.parse({
      nonceLifetimeS,
      maxTrackedNonces: 1000,
      trustedSources: ['10.0.0.5'],
      domains: {
        'example.com': { mode: 'local', credentialsFile: 'unused.yaml' },
        'open.example.com': { mode: 'local', credentialsFile: 'unused.yaml', identity: 'any', algorithms: ['SHA-256'] },
        'pbx.example.net': { mode: 'pass-through' },
      },
    }),
    '/',
  );
  const tables = new Map([
    ['example.com', usersOf('example.com', { alice: ['SHA-256', 'MD5'], bob: ['SHA-256'], carol: ['MD5'] })],
    ['open.example.com', usersOf('open.example.com', { gateway: ['SHA-256'] })],
  ]);
  const capture = captureLog();
  const credentials = { lookup: (domain: string, user: string) => tables.get(domain)?.get(user) };
  const auth = new DigestAuthenticator({ config, credentials, log: capture.log, now: () => now });
  const check = (text: string, client = CLIENT): AuthOutcome => auth.check(parse(text), client);
  return { auth, capture, check, advance: (ms: number) => (now += ms) };
}

export function parse(text: string): SipRequest {
  return parseDatagram(Buffer.from(text)) as SipRequest;
}

/** The response of a refused outcome (fails the test through a throw otherwise). */
export function refused(outcome: AuthOutcome): SipResponse {
  if (outcome.ok) throw new Error(`expected a refusal, got ${JSON.stringify(outcome)}`);
  return outcome.response;
}

/** The challenges of a 401/407, read by the test's own code. */
export function challenges(response: SipResponse): Record<string, string>[] {
  const header = response.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
  return challengesIn(response.toString(), header).map(readChallenge);
}

export interface Attempt extends RequestOptions {
  readonly user: string;
  readonly password?: string;
  readonly algorithm?: Algorithm;
  readonly nc?: number;
  /** The challenge to answer; by default a fresh one obtained by sending the request without credentials. */
  readonly challenge?: Record<string, string>;
  /** Changes to the answer before it is sent. */
  readonly tweak?: (value: string) => string;
  readonly realm?: string;
  /** The uri the digest is computed over and sent in, when not the Request-URI. */
  readonly digestUri?: string;
}

/** Sends the request without credentials when no challenge is given, then answers the challenge. */
export function attempt(harness: ReturnType<typeof makeAuth>, options: Attempt) {
  const method = options.method ?? 'REGISTER';
  const text = (extra: readonly (readonly [string, string])[]) =>
    requestText({ ...options, method, extra: [...(options.extra ?? []), ...extra] });
  const algorithm = options.algorithm ?? 'SHA-256';
  const challenge =
    options.challenge ??
    challenges(refused(harness.check(text([])))).find((c) => c['algorithm'] === algorithm) ??
    challenges(refused(harness.check(text([]))))[0]!;
  const domain = options.from.replace(/^.*@/, '');
  const value = answer({
    algorithm,
    username: options.user,
    password: options.password ?? PASSWORDS[options.user] ?? 'x',
    realm: options.realm ?? challenge['realm']!,
    nonce: challenge['nonce']!,
    opaque: challenge['opaque'],
    method,
    uri: options.digestUri ?? options.uri ?? `sip:${domain}`,
    nc: options.nc ?? 1,
  });
  const header = method === 'REGISTER' ? 'Authorization' : 'Proxy-Authorization';
  const finalText = text([[header, options.tweak ? options.tweak(value) : value]]);
  return { outcome: harness.check(finalText), challenge, text: finalText };
}
