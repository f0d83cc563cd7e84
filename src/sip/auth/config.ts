import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { DIGEST_ALGORITHMS, type DigestAlgorithm } from './digest-algorithms.js';
import { strictObject, wholeInRange as whole } from '../../config/zod-rules.js';

/*
 * The `auth` section of the stg-sip-proxy configuration: per SIP domain, either `local` (this proxy challenges with
 * digest and checks against a credentials file) or `pass-through` (the PBX challenges; this proxy forwards the
 * Authorization headers untouched). Objects are strict and every problem names its field (src/sip/config.ts turns
 * the issues into ConfigError lines). File paths are resolved against the configuration file's folder.
 *
 *   auth:
 *     nonceLifetimeS: 300
 *     trustedSources: [10.0.0.5]           # the PBX: its requests are never challenged
 *     domains:
 *       example.com: { mode: local, credentialsFile: users/example.com.yaml }
 *       pbx.example.net: { mode: pass-through }
 */

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const domainName = z
  .string()
  .refine((value) => HOST_NAME.test(value) || isIP(value) !== 0, 'a domain name or an IP address (the host of AORs)');

/** A realm is written in a quoted-string of every challenge: printable, and nothing that would need escaping. */
const realm = z
  .string()
  .regex(/^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'a realm of 1-128 printable characters, no " or \\');

const algorithms = z
  .array(z.enum(DIGEST_ALGORITHMS, `one of ${DIGEST_ALGORITHMS.join(', ')}`))
  .min(1, 'at least one algorithm')
  .refine((list) => new Set(list).size === list.length, 'each algorithm once');

const localDomain = strictObject({
  mode: z.literal('local'),
  /** Shown in challenges and part of every HA1; the domain itself by default (RFC 3261 section 22.1). */
  realm: realm.optional(),
  /** The users of the domain with their HA1 hashes or passwords (see credentials-file.ts). */
  credentialsFile: z.string().min(1, 'a file path'),
  /** Offered in this order of preference; SHA-256 first, then MD5 for older clients (RFC 8760 section 2.4). */
  algorithms: algorithms.default([...DIGEST_ALGORITHMS]),
  /**
   * strict: the digest username must be the user of From (and of To for REGISTER), so nobody speaks or registers
   * as another user. any: any user of the domain may use any identity in it (a gateway, a shared trunk).
   */
  identity: z.enum(['strict', 'any'], 'strict or any').default('strict'),
});

const passThroughDomain = strictObject({ mode: z.literal('pass-through') });

const domainSchema = z.discriminatedUnion('mode', [localDomain, passThroughDomain], {
  error: (issue) => (issue.code === 'invalid_union' ? 'local or pass-through' : undefined),
});

export const sipAuthConfigSchema = strictObject({
  /** How long a nonce may be used; a client presenting an older one is asked again with stale=true. */
  nonceLifetimeS: whole(10, 3600, 'seconds').default(300),
  /** Nonces whose counts are remembered for replay protection (about 400 bytes of heap each: 40 MB at 100,000). */
  maxTrackedNonces: whole(1000, 10_000_000, 'nonces').default(100_000),
  /** Addresses whose requests are never challenged: the PBX, the other nodes' proxies on the internal port. */
  trustedSources: z.array(z.string().refine((value) => isIP(value) !== 0, 'an IPv4 or IPv6 address')).default([]),
  domains: z.record(domainName, domainSchema).superRefine(
    (domains: object, ctx) => {
      const seen = new Set<string>();
      for (const name of Object.keys(domains)) {
        const key = name.toLowerCase();
        if (seen.has(key))
          ctx.addIssue({ code: 'custom', path: [name], message: 'each domain once (names ignore case)' });
        seen.add(key);
      }
    },
    // Checked even when a domain has a problem of its own (zod would skip the refinement otherwise).
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  ),
});

export type SipAuthConfigInput = z.output<typeof sipAuthConfigSchema>;

export interface LocalDomainAuth {
  readonly mode: 'local';
  /** Lower case. */
  readonly domain: string;
  readonly realm: string;
  /** Absolute. */
  readonly credentialsFile: string;
  readonly algorithms: readonly DigestAlgorithm[];
  readonly identity: 'strict' | 'any';
}

export interface PassThroughDomainAuth {
  readonly mode: 'pass-through';
  readonly domain: string;
}

export type DomainAuth = LocalDomainAuth | PassThroughDomainAuth;

export interface SipAuthConfig {
  readonly nonceLifetimeMs: number;
  readonly maxTrackedNonces: number;
  readonly trustedSources: readonly string[];
  /** By lower-case domain. */
  readonly domains: ReadonlyMap<string, DomainAuth>;
}

/** The checked section in the form the authenticator uses: paths absolute, domains by lower-case name, frozen. */
export function resolveSipAuthConfig(input: SipAuthConfigInput, configDir: string): SipAuthConfig {
  const domains = new Map<string, DomainAuth>();
  for (const [name, entry] of Object.entries(input.domains)) {
    const domain = name.toLowerCase();
    domains.set(
      domain,
      Object.freeze(
        entry.mode === 'local'
          ? {
              mode: 'local' as const,
              domain,
              realm: entry.realm ?? domain,
              credentialsFile: resolve(configDir, entry.credentialsFile),
              algorithms: Object.freeze([...entry.algorithms]),
              identity: entry.identity,
            }
          : { mode: 'pass-through' as const, domain },
      ),
    );
  }
  return Object.freeze({
    nonceLifetimeMs: input.nonceLifetimeS * 1000,
    maxTrackedNonces: input.maxTrackedNonces,
    trustedSources: Object.freeze([...input.trustedSources]),
    domains,
  });
}
