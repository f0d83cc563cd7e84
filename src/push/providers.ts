import type { Logger } from '../log.js';
import { ApnsProvider } from './apns/apns-provider.js';
import type { PushConfig } from './config.js';
import type { Credentials } from './credentials.js';
import { FcmProvider } from './fcm/fcm-provider.js';

export interface Providers {
  fcm?: FcmProvider;
  apns?: ApnsProvider;
}

/** The providers the configuration sets up, with their credentials (loaded by credentials.ts). */
export function createProviders(
  config: PushConfig,
  credentials: Credentials,
  log: Logger,
  options: { now?: () => number } = {},
): Providers {
  const providers: Providers = {};
  if (config.fcm) {
    providers.fcm = new FcmProvider(
      config.fcm,
      credentials.serviceAccounts,
      credentials.fcmCa ? { ca: credentials.fcmCa } : {},
      log.child({ provider: 'fcm' }),
      { now: options.now, requestTimeoutMs: config.retry.requestTimeoutMs },
    );
  }
  if (config.apns) {
    providers.apns = new ApnsProvider(config.apns, credentials, credentials.apnsCa, log.child({ provider: 'apns' }), {
      now: options.now,
    });
  }
  return providers;
}

export async function closeProviders(providers: Providers): Promise<void> {
  await Promise.all([providers.fcm?.close(), providers.apns?.close()]);
}
