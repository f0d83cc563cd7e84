import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { PORT_RULE } from '../../config/names.js';
import { problemsFromIssues } from '../../config/problems.js';
import { strictObject, wholeNumber } from '../../config/zod-rules.js';

/*
 * The optional `dns.external` block of the cluster definition: which authoritative server the leader updates with
 * RFC 2136, for which zone, and how hard it tries. The TSIG key is a secret, so its FILE path belongs in the node
 * file (`dnsExternalKeyFile`, exported below for the node file schema); `keyFile` here is accepted for a single
 * node setup and the node file's path wins when both are given.
 *
 * Every name and host ends up on a line of the nsupdate script, so the rules below also keep a newline or a space
 * from ever reaching it.
 */

const HOST = /^[A-Za-z0-9][A-Za-z0-9.:-]*$/;
const ZONE = /^([a-z0-9_-]+\.)*[a-z]{2,}\.?$/i;

const filePath = z.string().min(1, 'a file path');
const port = wholeNumber('a whole port number').min(1, PORT_RULE).max(65535, PORT_RULE);

export const DEFAULT_EXTERNAL_DNS = {
  port: 53,
  timeoutMs: 5_000,
  backoff: { initialMs: 1_000, maxMs: 60_000, factor: 2 },
  verifyIntervalMs: 60_000,
} as const;

const backoffSchema = strictObject({
  initialMs: wholeNumber('whole milliseconds').min(1, 'at least 1 ms').default(DEFAULT_EXTERNAL_DNS.backoff.initialMs),
  maxMs: wholeNumber('whole milliseconds').min(1, 'at least 1 ms').default(DEFAULT_EXTERNAL_DNS.backoff.maxMs),
  factor: z
    .number()
    .min(1, 'a factor in 1-10')
    .max(10, 'a factor in 1-10')
    .default(DEFAULT_EXTERNAL_DNS.backoff.factor),
})
  .default({ ...DEFAULT_EXTERNAL_DNS.backoff })
  .refine((backoff) => backoff.maxMs >= backoff.initialMs, {
    path: ['maxMs'],
    message: 'at least backoff.initialMs (the cap of the growing delay)',
  });

export const externalDnsSchema = strictObject({
  /** The authoritative server's address or host name (nsupdate's `server`). */
  server: z.string().regex(HOST, 'a host name or IP address'),
  port: port.default(DEFAULT_EXTERNAL_DNS.port),
  /** The zone the service name is in, as the server knows it; a trailing dot is optional. */
  zone: z
    .string()
    .regex(ZONE, 'a DNS zone name, e.g. example.es')
    .transform((zone) => zone.replace(/\.$/, '').toLowerCase()),
  keyFile: filePath.optional(),
  /**
   * Bound on one query or one update. nsupdate counts its own timeout in whole seconds, so it gets this rounded
   * up; at least 1 s.
   */
  timeoutMs: wholeNumber('whole milliseconds')
    .min(1_000, 'at least 1000 ms')
    .max(60_000, 'at most 60000 ms')
    .default(DEFAULT_EXTERNAL_DNS.timeoutMs),
  backoff: backoffSchema,
  /** How often the records are read back while in sync, so a change behind our back is undone. */
  verifyIntervalMs: wholeNumber('whole milliseconds')
    .min(100, 'at least 100 ms')
    .default(DEFAULT_EXTERNAL_DNS.verifyIntervalMs),
});

/** For the node file schema: the path of the TSIG key file (BIND `key` statement, as `tsig-keygen` writes it). */
export const dnsExternalKeyFileField = filePath.optional();

export type ExternalDnsDefinition = z.infer<typeof externalDnsSchema>;
/** What the updater runs with: the definition block plus the key file resolved from the node file. */
export type ExternalDnsConfig = Omit<ExternalDnsDefinition, 'keyFile'> & { keyFile: string };

/**
 * Checks a raw `dns.external` block and joins it with the node file's key path. Every problem is reported at once;
 * a block without any key file is a problem (an unsigned update would only be refused, or worse, accepted).
 */
export function parseExternalDnsConfig(raw: unknown, nodeKeyFile?: string, source = 'dns.external'): ExternalDnsConfig {
  const parsed = externalDnsSchema.safeParse(raw, { reportInput: true });
  const problems = parsed.success ? [] : problemsFromIssues(parsed.error.issues, raw);
  const keyFile = nodeKeyFile ?? (parsed.success ? parsed.data.keyFile : undefined);
  if (keyFile === undefined && !problems.some((problem) => problem.path === 'keyFile')) {
    problems.push({
      path: 'keyFile',
      value: undefined,
      expected: 'the TSIG key file path (dnsExternalKeyFile in the node file, or keyFile here)',
    });
  }
  if (!parsed.success || keyFile === undefined) throw new ConfigError(source, problems);
  return { ...parsed.data, keyFile };
}
