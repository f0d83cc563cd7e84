import { z } from 'zod';
import { SipUri, SipParseError, parseUri } from '../message/index.js';
import { strictObject, wholeInRange as whole } from '../../config/zod-rules.js';

/*
 * The configuration of the registrar and of the data Redis it keeps bindings in, as parts of the proxy's file
 * (src/sip/config.ts hooks them in). Every field is checked with the reason; defaults are Flexisip's where it has
 * one (min 60 s, max 86400 s, default 600 s, 12 contacts per AOR).
 */

export const REGISTRAR_DEFAULTS = Object.freeze({
  minExpiresS: 60,
  maxExpiresS: 86_400,
  defaultExpiresS: 600,
  maxContactsPerAor: 12,
  maxInFlight: 1000,
  writeTimeoutMs: 2000,
  retryAfterS: 5,
  gruu: true,
});

/** The data Redis: registrations only (ARCHITECTURE.md "Where state lives"). The password lives in a file. */
export const dataStoreSchema = strictObject({
  host: z.string().min(1, 'a host name or address'),
  port: whole(1, 65535, 'a port'),
  passwordFile: z.string().min(1, 'a file path').optional(),
  db: whole(0, 15, 'a Redis database number').optional(),
});

const domainName = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, {
    message: 'a domain name or IPv4 address (the host part of the AORs served, e.g. sips.example.es)',
  });

const pathUri = z.string().superRefine((value, ctx) => {
  let uri;
  try {
    uri = parseUri(value, 'Path');
  } catch (error) {
    const reason = error instanceof SipParseError ? error.message : String(error);
    ctx.addIssue({ code: 'custom', input: value, message: `a sip: URI of this proxy's internal port (${reason})` });
    return;
  }
  if (!(uri instanceof SipUri) || uri.headers.length > 0) {
    ctx.addIssue({
      code: 'custom',
      input: value,
      message: 'a sip: URI without headers, e.g. sip:10.0.0.1:5556;transport=tcp',
    });
  }
});

export const registrarSchema = strictObject({
  /** The domains whose AORs are registered here (the host of the To URI). */
  domains: z.array(domainName).min(1, 'at least one domain'),
  minExpiresS: whole(1, 86_400 * 365, 'seconds').optional(),
  maxExpiresS: whole(1, 86_400 * 365, 'seconds').optional(),
  defaultExpiresS: whole(1, 86_400 * 365, 'seconds').optional(),
  maxContactsPerAor: whole(1, 1000, 'contacts').optional(),
  /** REGISTERs waiting for Redis at once; beyond it the answer is 503 at once. */
  maxInFlight: whole(1, 1_000_000, 'requests').optional(),
  /** A write not acknowledged within this is answered 503 (never 200). */
  writeTimeoutMs: whole(10, 60_000, 'milliseconds').optional(),
  /** Retry-After of the 503s (a random 0-50% is added so that devices do not come back together). */
  retryAfterS: whole(1, 3600, 'seconds').optional(),
  /** Public GRUUs (RFC 5627) for devices that ask (Supported: gruu) and have a +sip.instance. */
  gruu: z.boolean('true or false').optional(),
  /**
   * The Path this proxy puts on top of every registration (RFC 3327), so that any node reaches a device through
   * the node that holds its connection: `<uri;fs-proxy-id=<proxyId>;lr>` (Flexisip's cluster mode).
   */
  path: strictObject({
    uri: pathUri,
    proxyId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
      message: 'this proxy\'s id: 1-64 letters, digits, ".", "_" or "-" (Flexisip: 16 hex digits)',
    }),
  }).optional(),
}).superRefine(
  (value, ctx) => {
    const get = (key: 'minExpiresS' | 'maxExpiresS' | 'defaultExpiresS') => {
      const given = (value as Record<string, unknown>)[key];
      return typeof given === 'number' ? given : REGISTRAR_DEFAULTS[key];
    };
    const [min, max, fallback] = [get('minExpiresS'), get('maxExpiresS'), get('defaultExpiresS')];
    if (min > max) {
      ctx.addIssue({ code: 'custom', path: ['minExpiresS'], input: min, message: `at most maxExpiresS (${max})` });
    }
    if (fallback < min || fallback > max) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultExpiresS'],
        input: fallback,
        message: `between minExpiresS (${min}) and maxExpiresS (${max})`,
      });
    }
  },
  { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
);

export type DataStoreConfig = z.infer<typeof dataStoreSchema>;

/** The registrar's settings with every default applied. */
export interface RegistrarSettings {
  readonly domains: readonly string[];
  readonly minExpiresS: number;
  readonly maxExpiresS: number;
  readonly defaultExpiresS: number;
  readonly maxContactsPerAor: number;
  readonly maxInFlight: number;
  readonly writeTimeoutMs: number;
  readonly retryAfterS: number;
  readonly gruu: boolean;
  /** The Path URI this proxy prepends (`sip:...;fs-proxy-id=...;lr`), when configured. */
  readonly ownPath: string | undefined;
  readonly proxyId: string | undefined;
}

export function registrarSettings(config: z.infer<typeof registrarSchema>): RegistrarSettings {
  const { path, domains, ...given } = config;
  const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  return Object.freeze({
    ...REGISTRAR_DEFAULTS,
    ...defined,
    domains: Object.freeze(domains.map((domain) => domain.toLowerCase())),
    ownPath: path ? ownPathUri(path.uri, path.proxyId) : undefined,
    proxyId: path?.proxyId,
  });
}

/** `<uri>;fs-proxy-id=<id>;lr`, without repeating a parameter the configured URI already has. */
function ownPathUri(uri: string, proxyId: string): string {
  const parsed = parseUri(uri, 'Path') as SipUri;
  let out = parsed.withoutParam('fs-proxy-id').withParam('fs-proxy-id', proxyId);
  if (!out.hasParam('lr')) out = out.withParam('lr', null);
  return out.toString();
}

/**
 * The registrar keeps its bindings in the data Redis: a `registrar` section needs a `dataStore`. Checked on the
 * raw file, beside the schema, so that it is reported with every other problem.
 */
export function registrarStoreProblems(input: unknown): { path: string; value: unknown; expected: string }[] {
  if (typeof input !== 'object' || input === null) return [];
  const { registrar, dataStore } = input as Record<string, unknown>;
  if (registrar === undefined || dataStore !== undefined) return [];
  return [
    {
      path: 'dataStore',
      value: undefined,
      expected: 'the data Redis ({ host, port }): the registrar keeps its bindings there',
    },
  ];
}
