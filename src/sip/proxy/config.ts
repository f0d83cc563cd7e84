import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_TIMERS, type TimerSettings } from '../transaction/index.js';
import { DEFAULT_PROXY_SETTINGS, type ProxySettings } from './settings.js';
import { strictObject, wholeInRange as whole } from '../../config/zod-rules.js';

/*
 * The `proxy:` section of the proxy's YAML file (src/sip/config.ts hooks it in): domains, PBX targets, Record-Route,
 * and timer overrides (tests shrink T1). Every field is checked; each problem names the field and what was expected.
 */

const domainName = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, {
    message: 'a domain name (the host part of the users served, e.g. sips.example.es)',
  });

const pbxTarget = strictObject({
  transport: z.enum(['udp', 'tcp', 'tls'], 'udp, tcp or tls'),
  address: z.string().refine((value) => isIP(value) !== 0, 'an IPv4 or IPv6 address (no DNS for PBX targets)'),
  port: whole(1, 65535, 'a port'),
});

const alias = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'a host or host:port ([IPv6]:port) naming this proxy');

export const proxySchema = strictObject({
  /** The domains whose users are registered here; defaults to the registrar's domains. */
  domains: z.array(domainName).optional(),
  recordRoute: z.boolean('true or false').optional(),
  pbx: strictObject({
    targets: z.array(pbxTarget).min(1, 'at least one PBX target'),
    failoverAfterMs: whole(50, 60_000, 'milliseconds').optional(),
    quarantineMs: whole(0, 3_600_000, 'milliseconds').optional(),
  }).optional(),
  localMissesToPbx: z.boolean('true or false').optional(),
  aliases: z.array(alias).optional(),
  /** RFC 3261 timers: T1, T2, T4, and Timer C of INVITE branches. Lower them for tests only. */
  timers: strictObject({
    t1Ms: whole(1, 10_000, 'milliseconds').optional(),
    t2Ms: whole(1, 60_000, 'milliseconds').optional(),
    t4Ms: whole(1, 60_000, 'milliseconds').optional(),
    timerCMs: whole(100, 3_600_000, 'milliseconds (RFC 3261: more than 3 minutes in production)').optional(),
  })
    .superRefine(
      (value, ctx) => {
        const t1 = value.t1Ms ?? DEFAULT_TIMERS.t1Ms;
        const t2 = value.t2Ms ?? DEFAULT_TIMERS.t2Ms;
        if (t2 < t1) ctx.addIssue({ code: 'custom', path: ['t2Ms'], input: t2, message: `at least t1Ms (${t1})` });
      },
      { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
    )
    .optional(),
});

export type ProxyConfig = z.infer<typeof proxySchema>;

/** The proxy core's settings and the transaction timers, every default applied. */
export function proxySettings(
  config: ProxyConfig | undefined,
  fallback: { domains?: readonly string[] | undefined; proxyId?: string | undefined } = {},
): { settings: ProxySettings; timers: TimerSettings } {
  const given = config ?? {};
  const defaults = DEFAULT_PROXY_SETTINGS;
  const domains = (given.domains ?? fallback.domains ?? []).map((domain) => domain.toLowerCase());
  const settings: ProxySettings = Object.freeze({
    domains: Object.freeze(domains),
    recordRoute: given.recordRoute ?? defaults.recordRoute,
    pbx: Object.freeze({
      targets: Object.freeze((given.pbx?.targets ?? []).map((target) => Object.freeze({ ...target }))),
      failoverAfterMs: given.pbx?.failoverAfterMs ?? defaults.pbx.failoverAfterMs,
      quarantineMs: given.pbx?.quarantineMs ?? defaults.pbx.quarantineMs,
    }),
    localMissesToPbx: given.localMissesToPbx ?? defaults.localMissesToPbx,
    timerCMs: given.timers?.timerCMs ?? defaults.timerCMs,
    aliases: Object.freeze([...(given.aliases ?? [])]),
    proxyId: fallback.proxyId,
  });
  const timers: TimerSettings = Object.freeze({
    t1Ms: given.timers?.t1Ms ?? DEFAULT_TIMERS.t1Ms,
    t2Ms: given.timers?.t2Ms ?? DEFAULT_TIMERS.t2Ms,
    t4Ms: given.timers?.t4Ms ?? DEFAULT_TIMERS.t4Ms,
  });
  return { settings, timers };
}
