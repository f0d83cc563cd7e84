import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { importPKCS8, type CryptoKey } from 'jose';
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { PushConfig } from './config.js';

/**
 * The provider credentials named by the push configuration, read and checked once at start. A problem names the
 * configuration field that points at the file and says what is wrong with the file, never its content: these are
 * secrets (ARCHITECTURE.md: a secret never enters a log line).
 */
export interface ServiceAccount {
  /** The pn-param value this account serves (from the configuration). */
  project: string;
  /** The Google project id the FCM send URL names (from the file). */
  projectId: string;
  clientEmail: string;
  privateKeyId: string;
  privateKey: CryptoKey;
  tokenUri: string;
}

export interface ApnsSigningKey {
  teamId: string;
  keyId: string;
  privateKey: CryptoKey;
}

export interface ApnsCertificate {
  bundle: string;
  cert: string;
  key: string;
}

export interface Credentials {
  serviceAccounts: ServiceAccount[];
  fcmCa?: string;
  signingKeys: ApnsSigningKey[];
  certificates: ApnsCertificate[];
  apnsCa?: string;
}

export async function loadCredentials(config: PushConfig, source: string): Promise<Credentials> {
  const problems: ConfigProblem[] = [];
  const read = (path: string, field: string): string | undefined => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      problems.push({ path: field, value: path, expected: `a readable file (${code})` });
      return undefined;
    }
  };
  const credentials: Credentials = { serviceAccounts: [], signingKeys: [], certificates: [] };

  for (const [index, account] of (config.fcm?.serviceAccounts ?? []).entries()) {
    const field = `fcm.serviceAccounts[${index}].file`;
    const text = read(account.file, field);
    if (text === undefined) continue;
    const parsed = await serviceAccount(text, account.project);
    if (typeof parsed === 'string') problems.push({ path: field, value: account.file, expected: parsed });
    else credentials.serviceAccounts.push(parsed);
  }
  if (config.fcm?.caFile) credentials.fcmCa = read(config.fcm.caFile, 'fcm.caFile');

  for (const [index, entry] of (config.apns?.tokenKeys ?? []).entries()) {
    const field = `apns.tokenKeys[${index}].file`;
    const text = read(entry.file, field);
    if (text === undefined) continue;
    try {
      const privateKey = await importPKCS8(text, 'ES256');
      credentials.signingKeys.push({ teamId: entry.teamId, keyId: entry.keyId, privateKey });
    } catch {
      problems.push({ path: field, value: entry.file, expected: 'an APNs signing key (.p8: a PKCS#8 P-256 key, PEM)' });
    }
  }
  for (const [index, entry] of (config.apns?.certificates ?? []).entries()) {
    const cert = read(entry.certFile, `apns.certificates[${index}].certFile`);
    const key = read(entry.keyFile, `apns.certificates[${index}].keyFile`);
    if (cert === undefined || key === undefined) continue;
    const problem = certificateProblem(cert, key);
    if (problem) problems.push({ path: `apns.certificates[${index}]`, value: entry.certFile, expected: problem });
    else credentials.certificates.push({ bundle: entry.bundle, cert, key });
  }
  if (config.apns?.caFile) credentials.apnsCa = read(config.apns.caFile, 'apns.caFile');

  if (problems.length > 0) throw new ConfigError(source, problems);
  return credentials;
}

async function serviceAccount(text: string, project: string): Promise<ServiceAccount | string> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'a service-account JSON key file (it is not JSON)';
  }
  const missing = ['project_id', 'private_key_id', 'private_key', 'client_email'].filter(
    (key) => typeof json[key] !== 'string' || json[key] === '',
  );
  if (json['type'] !== 'service_account') return 'a service-account JSON key file ("type": "service_account")';
  if (missing.length > 0) return `a service-account JSON key file (missing ${missing.join(', ')})`;
  const tokenUri = typeof json['token_uri'] === 'string' ? json['token_uri'] : 'https://oauth2.googleapis.com/token';
  if (!URL.canParse(tokenUri) || new URL(tokenUri).protocol !== 'https:') {
    return 'a service-account file whose token_uri is an https:// URL';
  }
  try {
    return {
      project,
      projectId: json['project_id'] as string,
      clientEmail: json['client_email'] as string,
      privateKeyId: json['private_key_id'] as string,
      privateKey: await importPKCS8(json['private_key'] as string, 'RS256'),
      tokenUri,
    };
  } catch {
    return 'a service-account file whose private_key is an RSA key in PKCS#8 PEM';
  }
}

function certificateProblem(cert: string, key: string): string | undefined {
  try {
    const certificate = new X509Certificate(cert);
    if (!certificate.checkPrivateKey(createPrivateKey(key))) return 'a certificate matching its keyFile';
    if (new Date(certificate.validTo).getTime() < Date.now())
      return `a certificate still valid (expired ${certificate.validTo})`;
    return undefined;
  } catch {
    return 'a client certificate and its key in PEM';
  }
}
