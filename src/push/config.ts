import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { problemsFromIssues } from '../config/problems.js';
import { readYamlChecked } from '../config/yaml-file.js';
import { ConfigError } from '../errors.js';
import { strictObject, wholeNumber as whole } from '../config/zod-rules.js';

/*
 * The push workers' own file (`stg-push-worker --push-config FILE`): queue settings, retry policy, the metrics
 * endpoint and the providers. It is a file of its own rather than a section of the node file because it holds
 * paths to provider credentials that only nodes running push workers need, and because the node file's schema is
 * strict and owned by the agent. Like the node file it names secrets by path only; relative paths are resolved
 * against this file's folder. Every problem names its field, and all problems are reported at once.
 */

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const positiveMs = whole('whole milliseconds').min(1, 'a positive number of milliseconds');
const filePath = z.string().min(1, 'a file path');
const httpsUrl = z
  .string()
  .refine((value) => URL.canParse(value) && new URL(value).protocol === 'https:', 'an https:// URL (scheme and host)');

const queueSchema = strictObject({
  /** Every key of the push queue in the data Redis starts with this. */
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9:_{}.-]{1,64}$/, 'a key prefix of 1-64 letters, digits or : _ { } . -')
    .default('stg:push'),
  /** The consumer group all push workers of the cluster share. */
  group: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a group name of 1-64 letters, digits or _ . -')
    .default('push-workers'),
  /** Jobs one worker handles at the same time. */
  concurrency: whole('a whole number of jobs').min(1, 'at least 1').max(1000, 'at most 1000').default(32),
  /**
   * A job held this long by a worker that no longer extends it (the worker died or froze) is taken by another
   * worker. Live workers extend their jobs every third of it, so a slow provider does not cause a second send.
   */
  visibilityTimeoutMs: positiveMs.min(300, 'at least 300 ms').default(5000),
  /** Deliveries after which a job is failed instead of taken again (a job that kills its workers). */
  maxDeliveries: whole('a whole number').min(1, 'at least 1').default(5),
  /** How long a job's outcome stays readable. */
  resultTtlS: whole('whole seconds').min(1, 'at least 1 second').default(3600),
  /** The dead-letter stream keeps about this many entries. */
  deadLetterMaxLen: whole('a whole number').min(1, 'at least 1').default(10_000),
});

const retrySchema = strictObject({
  /** Attempts per job, the first included; a job also ends at its deadline whatever this says. */
  maxAttempts: whole('a whole number').min(1, 'at least 1').max(100, 'at most 100').default(6),
  /** The first retry waits about this long; each next one twice as long, up to maxDelayMs. */
  baseDelayMs: positiveMs.default(200),
  maxDelayMs: positiveMs.default(5000),
  /** One provider request (connect, send, answer) may take this long. */
  requestTimeoutMs: positiveMs.default(10_000),
});

const metricsSchema = strictObject({
  address: z.string().min(1, 'an address to listen on').default('127.0.0.1'),
  /** 0 picks a free port (logged at start). */
  port: whole('a whole port number').min(0, 'a port in 0-65535').max(65535, 'a port in 0-65535').default(9465),
});

const fcmSchema = strictObject({
  baseUrl: httpsUrl.default('https://fcm.googleapis.com'),
  /** Extra CA certificates (PEM) to trust for FCM and its token endpoint; the system's are trusted anyway. */
  caFile: filePath.optional(),
  /** An access token is replaced this long before it expires (Flexisip: 300 s). */
  refreshBeforeExpiryS: whole('whole seconds').min(0, 'at least 0').max(3000, 'at most 3000').default(300),
  serviceAccounts: z
    .array(
      strictObject({
        /** The pn-param value the apps register with: the Firebase project number (or id). */
        project: z.string().regex(/^[a-z0-9-]{1,64}$/, 'a Firebase project number or id'),
        /** The service account JSON key file downloaded from the Firebase console. */
        file: filePath,
      }),
    )
    .min(1, 'at least one service account'),
});

const teamOrKeyId = z.string().regex(/^[A-Z0-9]{10}$/, 'a 10-character Apple identifier (A-Z, 0-9)');

const apnsSchema = strictObject({
  productionUrl: httpsUrl.default('https://api.push.apple.com'),
  /** Used for apps registered with pn-provider=apns.dev (development builds). */
  sandboxUrl: httpsUrl.default('https://api.sandbox.push.apple.com'),
  caFile: filePath.optional(),
  /** A provider token is replaced after this many minutes; Apple wants 20-60 (refused when older than 60). */
  tokenRefreshMinutes: whole('whole minutes')
    .min(20, 'at least 20 (Apple refuses more frequent token updates)')
    .max(55, 'at most 55')
    .default(40),
  /** Token-based auth: one .p8 signing key per team. */
  tokenKeys: z.array(strictObject({ teamId: teamOrKeyId, keyId: teamOrKeyId, file: filePath })).default([]),
  /** Certificate-based auth (as Flexisip does it): one client certificate per app, used before any token key. */
  certificates: z
    .array(
      strictObject({
        bundle: z.string().regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'an app bundle id, e.g. org.linphone.phone'),
        certFile: filePath,
        keyFile: filePath,
      }),
    )
    .default([]),
});

export const pushConfigSchema = strictObject({
  queue: queueSchema.prefault({}),
  retry: retrySchema.prefault({}),
  /** A token the provider rejected is flagged on its binding for this long (the registrar reads the flag). */
  invalidTokenTtlS: whole('whole seconds')
    .min(60, 'at least 60 seconds')
    .default(30 * 24 * 3600),
  metrics: metricsSchema.prefault({}),
  fcm: fcmSchema.optional(),
  apns: apnsSchema.optional(),
})
  // Runs even when other fields have problems (`when`), so every problem is reported at once; it therefore reads
  // the value defensively: a field with a wrong type has its own problem and is left out here.
  .superRefine(
    (config: Record<string, unknown>, ctx) => {
      const fcm = config['fcm'];
      const apns = config['apns'];
      if (fcm === undefined && apns === undefined) {
        ctx.addIssue({ code: 'custom', path: [], input: undefined, message: 'at least one provider (fcm or apns)' });
      }
      if (isObject(apns)) {
        const empty = (value: unknown) => value === undefined || (Array.isArray(value) && value.length === 0);
        if (empty(apns['tokenKeys']) && empty(apns['certificates'])) {
          ctx.addIssue({
            code: 'custom',
            path: ['apns'],
            input: apns,
            message: 'at least one entry in tokenKeys or certificates',
          });
        }
      }
      const retry = isObject(config['retry']) ? config['retry'] : {};
      const base = retry['baseDelayMs'];
      const max = retry['maxDelayMs'] ?? 5000;
      if (typeof base === 'number' && typeof max === 'number' && base > max) {
        ctx.addIssue({
          code: 'custom',
          path: ['retry', 'baseDelayMs'],
          input: base,
          message: `at most retry.maxDelayMs (${max})`,
        });
      }
    },
    { when: (payload) => isObject(payload.value) },
  );

export type PushConfig = z.infer<typeof pushConfigSchema>;
export type FcmConfig = NonNullable<PushConfig['fcm']>;
export type ApnsConfig = NonNullable<PushConfig['apns']>;

/** The configuration used when a caller (clusterctl) has no push file: every default. */
export function defaultQueueSettings(): PushConfig['queue'] {
  return queueSchema.parse({});
}

/**
 * Reads and checks a push configuration file. Throws one ConfigError listing every problem, each with its field.
 * Credential files are only resolved here (against the file's folder); reading and checking their contents is the
 * providers' job (credentials.ts), which reports problems the same way.
 */
export function loadPushConfig(path: string): PushConfig {
  const absolute = resolve(path);
  const raw = readYamlChecked(absolute);
  if (!raw.ok) throw new ConfigError(absolute, raw.problems);
  return parsePushConfig(raw.value, absolute);
}

export function parsePushConfig(raw: unknown, source: string): PushConfig {
  const result = pushConfigSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(source, problemsFromIssues(result.error.issues, raw));
  const at = (file: string) => resolve(dirname(source), file);
  const config = result.data;
  return {
    ...config,
    fcm: config.fcm && {
      ...config.fcm,
      caFile: config.fcm.caFile && at(config.fcm.caFile),
      serviceAccounts: config.fcm.serviceAccounts.map((account) => ({ ...account, file: at(account.file) })),
    },
    apns: config.apns && {
      ...config.apns,
      caFile: config.apns.caFile && at(config.apns.caFile),
      tokenKeys: config.apns.tokenKeys.map((key) => ({ ...key, file: at(key.file) })),
      certificates: config.apns.certificates.map((entry) => ({
        ...entry,
        certFile: at(entry.certFile),
        keyFile: at(entry.keyFile),
      })),
    },
  };
}
