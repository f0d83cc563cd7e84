import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { problemsFromIssues } from '../config/problems.js';
import { readYamlChecked } from '../config/yaml-file.js';
import { IDENTIFIER, IDENTIFIER_RULE } from '../config/names.js';
import { ConfigError } from '../errors.js';
import type { ListenSpec, TransportLimits } from './transport/index.js';

/*
 * The configuration of stg-sip-proxy: where to listen, and the limits on peers. Objects are strict (a misspelt key
 * is a problem), every problem is reported at once with its path, the value found and what was expected.
 */

function strictObject<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const known = `a known key (${Object.keys(shape).join(', ')})`;
  return z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? known : undefined) });
}

const whole = (min: number, max: number, what: string) =>
  z
    .number()
    .refine(
      (value) => Number.isSafeInteger(value) && value >= min && value <= max,
      `${what} (a whole number ${min}-${max})`,
    );

const specificAddress = z.string().superRefine((value, ctx) => {
  if (isIP(value) === 0) ctx.addIssue({ code: 'custom', input: value, message: 'an IPv4 or IPv6 address' });
  else if (value === '0.0.0.0' || value === '::') {
    ctx.addIssue({
      code: 'custom',
      input: value,
      message: 'a node address, not 0.0.0.0 or :: (answers must leave from the address the request reached)',
    });
  }
});

const listenEntry = strictObject({
  transport: z.enum(['udp', 'tcp'], 'udp or tcp'),
  address: specificAddress,
  port: whole(0, 65535, 'a port, 0 for any free port'),
});

const limits = strictObject({
  maxMessageBytes: whole(1024, 65535, 'bytes'),
  maxHeaders: whole(8, 1000, 'header lines'),
  messagesPerSecondPerSource: whole(1, 1_000_000, 'messages per second'),
  burstPerSource: whole(1, 1_000_000, 'messages'),
  tcpConnectionsPerSource: whole(1, 1_000_000, 'connections'),
  maxTcpConnections: whole(1, 1_000_000, 'connections'),
  tcpIdleTimeoutMs: whole(100, 86_400_000, 'milliseconds'),
  tcpConnectTimeoutMs: whole(100, 600_000, 'milliseconds'),
  tcpMaxQueuedBytes: whole(65536, 1 << 30, 'bytes'),
  udpReceiveBufferBytes: whole(65536, 1 << 30, 'bytes'),
  exemptSources: z.array(z.string().refine((value) => isIP(value) !== 0, 'an IPv4 or IPv6 address')),
}).partial();

export const sipProxyConfigSchema = strictObject({
  /** Put on every log line when given. */
  node: z.string().regex(IDENTIFIER, IDENTIFIER_RULE).optional(),
  listen: z
    .array(listenEntry)
    .min(1, 'at least one address to listen on')
    .superRefine(
      (entries: unknown[], ctx) => {
        const seen = new Set<string>();
        entries.forEach((entry, index) => {
          if (typeof entry !== 'object' || entry === null) return;
          const { transport, address, port } = entry as Record<string, unknown>;
          if (port === 0) return;
          const key = `${String(transport)} ${String(address)} ${String(port)}`;
          if (seen.has(key))
            ctx.addIssue({ code: 'custom', path: [index], input: entry, message: 'each address only once' });
          seen.add(key);
        });
        // Checked even when an entry has a problem of its own (zod would skip the refinement otherwise).
      },
      { when: (payload) => Array.isArray(payload.value) },
    ),
  limits: limits.optional(),
  log: strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
    /** A file to write to; standard output when absent. */
    file: z.string().min(1, 'a file path').optional(),
  }).optional(),
});

export interface SipProxyConfig {
  readonly path: string;
  readonly node: string | undefined;
  readonly listen: readonly ListenSpec[];
  readonly limits: Partial<TransportLimits>;
  readonly log: { readonly level?: string | undefined; readonly file?: string | undefined };
}

/** Reads and checks a configuration file; throws ConfigError listing every problem. Paths resolve against its folder. */
export function loadSipProxyConfig(path: string): SipProxyConfig {
  const absolute = resolve(path);
  const raw = readYamlChecked(absolute);
  if (!raw.ok) throw new ConfigError(absolute, raw.problems);
  const result = sipProxyConfigSchema.safeParse(raw.value, { reportInput: true });
  if (!result.success) throw new ConfigError(absolute, problemsFromIssues(result.error.issues, raw.value));
  const { node, listen, limits: given, log } = result.data;
  const file = log?.file === undefined ? undefined : resolve(absolute, '..', log.file);
  return Object.freeze({
    path: absolute,
    node,
    listen: Object.freeze(listen.map((entry) => Object.freeze({ ...entry }))),
    limits: Object.freeze({ ...given }),
    log: Object.freeze({ level: log?.level, file }),
  });
}

/** One line per setting, for `--check-config`. */
export function describeSipProxyConfig(config: SipProxyConfig): string {
  const lines = [`${config.path}: configuration valid`];
  for (const entry of config.listen) lines.push(`  listen ${entry.transport} ${entry.address} port ${entry.port}`);
  for (const [key, value] of Object.entries(config.limits)) lines.push(`  ${key}: ${JSON.stringify(value)}`);
  return lines.join('\n');
}
