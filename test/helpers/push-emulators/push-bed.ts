import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadPushConfig, type PushConfig } from '../../../src/push/config.js';
import { loadCredentials } from '../../../src/push/credentials.js';
import { createProviders, type Providers } from '../../../src/push/providers.js';
import { silentLog } from '../../../src/silent-log.js';
import { ApnsEmulator } from './apns-emulator.js';
import { FcmEmulator } from './fcm-emulator.js';
import { createTestPki, type TestPki } from './tls.js';

/** The test identities: made-up values in the real formats (10-character Apple ids, a Firebase project number). */
export const BED = {
  /** What Linphone puts in pn-param for FCM (the project number) and the project id the service account names. */
  fcmProject: '917288118967',
  fcmProjectId: 'stg-test-project',
  clientEmail: 'push-sender@stg-test-project.iam.gserviceaccount.com',
  privateKeyId: '8f1c2d3e4a5b6c7d8e9f00112233445566778899',
  teamId: 'TEAM123456',
  keyId: 'KEY1234567',
  /** An app using token (.p8) auth, and one using certificate auth. */
  bundle: 'org.example.phone',
  certBundle: 'org.example.certphone',
} as const;

export interface PushBedOptions {
  /** Extra keys merged into the written push configuration (queue, retry...). */
  overrides?: Record<string, unknown>;
}

/**
 * Everything a push test needs besides Redis: test certificates, the FCM emulator (with the service account's
 * public key), APNs emulators for production and sandbox (with the signing key's public half and the apps), the
 * credential files (service-account JSON, .p8 key, client certificate) and a push configuration pointing at the
 * emulators. Fresh keys for every bed; close() stops the emulators.
 */
export class PushBed {
  private constructor(
    readonly dir: string,
    readonly pki: TestPki,
    readonly fcm: FcmEmulator,
    readonly apns: ApnsEmulator,
    readonly apnsSandbox: ApnsEmulator,
    readonly configFile: string,
    readonly config: Record<string, unknown>,
    /** A second key pair, registered nowhere: for "bad signature" cases. */
    readonly strangerKeys: { rsa: string; ec: string },
  ) {}

  static async start(dir: string, options: PushBedOptions = {}): Promise<PushBed> {
    mkdirSync(dir, { recursive: true });
    const pki = createTestPki(join(dir, 'pki'));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const fcm = await FcmEmulator.start(pki, [
      {
        projectId: BED.fcmProjectId,
        clientEmail: BED.clientEmail,
        privateKeyId: BED.privateKeyId,
        publicKey: rsa.publicKey,
      },
    ]);
    const apns = await ApnsEmulator.start(pki, 'production');
    const apnsSandbox = await ApnsEmulator.start(pki, 'sandbox');
    for (const emulator of [apns, apnsSandbox]) {
      emulator.addKey(BED.teamId, BED.keyId, ec.publicKey);
      emulator.addApp(BED.bundle, BED.teamId);
      emulator.addApp(BED.certBundle, BED.teamId);
    }
    const serviceAccountFile = writeServiceAccount(dir, 'service-account.json', rsa.privateKey, fcm.tokenUri);
    const p8File = join(dir, `AuthKey_${BED.keyId}.p8`);
    writeFileSync(p8File, pem(ec.privateKey));
    const client = pki.issueClient(BED.certBundle, 'certphone');
    const config = {
      queue: { prefix: 'test:push', visibilityTimeoutMs: 1000 },
      retry: { baseDelayMs: 20, maxDelayMs: 200, requestTimeoutMs: 3000 },
      metrics: { port: 0 },
      fcm: {
        baseUrl: fcm.url,
        caFile: pki.caFile,
        serviceAccounts: [{ project: BED.fcmProject, file: serviceAccountFile }],
      },
      apns: {
        productionUrl: apns.url,
        sandboxUrl: apnsSandbox.url,
        caFile: pki.caFile,
        tokenKeys: [{ teamId: BED.teamId, keyId: BED.keyId, file: p8File }],
        certificates: [{ bundle: BED.certBundle, certFile: client.certFile, keyFile: client.keyFile }],
      },
      ...options.overrides,
    };
    const configFile = join(dir, 'push.yaml');
    writeFileSync(configFile, stringify(config));
    const stranger = {
      rsa: pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
      ec: pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
    };
    return new PushBed(dir, pki, fcm, apns, apnsSandbox, configFile, config, stranger);
  }

  /** Writes another push configuration (the bed's, with `overrides` merged at the top level) and returns its path. */
  writeConfig(name: string, overrides: Record<string, unknown>): string {
    const file = join(this.dir, name);
    writeFileSync(file, stringify({ ...this.config, ...overrides }));
    return file;
  }

  async close(): Promise<void> {
    await Promise.all([this.fcm.close(), this.apns.close(), this.apnsSandbox.close()]);
  }
}

export function pem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A service-account JSON key file as the Firebase console gives it. */
export function writeServiceAccount(
  dir: string,
  name: string,
  privateKey: KeyObject | string,
  tokenUri: string,
): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify(
      {
        type: 'service_account',
        project_id: BED.fcmProjectId,
        private_key_id: BED.privateKeyId,
        private_key: typeof privateKey === 'string' ? privateKey : pem(privateKey),
        client_email: BED.clientEmail,
        client_id: '100000000000000000001',
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: tokenUri,
      },
      null,
      2,
    ),
  );
  return file;
}

/** A 64-hex-digit APNs device token, different for each `seed`. */
export function apnsToken(seed: number): string {
  return seed.toString(16).padStart(8, '0').repeat(8);
}

/** An FCM registration token in the usual shape (`<instance id>:APA91b...`), different for each `seed`. */
export function fcmToken(seed: number): string {
  return `c${seed.toString(36).padStart(10, '0')}:APA91b${'x'.repeat(40)}${seed}`;
}

/** The providers a worker would build from a push configuration file (the bed's by default). */
export async function providersFrom(
  configFile: string,
  options: { now?: () => number } = {},
): Promise<{ config: PushConfig; providers: Providers }> {
  const config = loadPushConfig(configFile);
  const credentials = await loadCredentials(config, configFile);
  return { config, providers: createProviders(config, credentials, silentLog, options) };
}
