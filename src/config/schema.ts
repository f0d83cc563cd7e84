import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_HTTP_PORT, DEFAULT_TIMINGS, KERNEL_LIFETIME_SLACK_MS } from './defaults.js';

/*
 * One schema for both configuration files; the TypeScript types are inferred from it, so the checked shape and the
 * used shape cannot drift apart. Objects are strict: a misspelt key is a problem, not a silently ignored line.
 */

const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'a lower-case name of 1-32 letters, digits or dashes, starting with a letter');
const port = z.number().int('a whole port number').min(1, 'a port in 1-65535').max(65535, 'a port in 1-65535');
const ipAddress = z.string().refine((value) => isIP(value) !== 0, 'an IPv4 or IPv6 address');
const hostName = z.string().min(1, 'a host name or address');
const filePath = z.string().min(1, 'a file path');
const positiveMs = z.number().int('whole milliseconds').positive('a positive number of milliseconds');

const redisEndpoint = z.strictObject({
  host: hostName,
  port,
  /** The password lives in a file, never in the configuration itself. */
  passwordFile: filePath.optional(),
});

export const nodeFileSchema = z.strictObject({
  cluster: identifier,
  node: z.strictObject({
    id: identifier,
    address: ipAddress,
  }),
  lockMembers: z
    .array(redisEndpoint)
    .min(1, 'at least one lock member')
    .max(9, 'at most 9 lock members')
    .superRefine((members, ctx) => {
      const seen = new Set<string>();
      members.forEach((member, index) => {
        const key = `${member.host}:${member.port}`;
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [index], message: 'each lock member only once' });
        seen.add(key);
      });
    }),
  dataStore: redisEndpoint,
  http: z
    .strictObject({ address: ipAddress.default('127.0.0.1'), port: port.default(DEFAULT_HTTP_PORT) })
    .default({ address: '127.0.0.1', port: DEFAULT_HTTP_PORT }),
  paths: z.strictObject({
    stateDir: filePath,
    journal: filePath.optional(),
    log: filePath.optional(),
  }),
  /** The cluster definition this node bootstraps the cluster with when none exists yet (relative to this file). */
  definitionFile: filePath,
});

const timingsSchema = z
  .strictObject({
    leaseTtlMs: positiveMs.default(DEFAULT_TIMINGS.leaseTtlMs),
    renewIntervalMs: positiveMs.default(DEFAULT_TIMINGS.renewIntervalMs),
    renewTimeoutMs: positiveMs.default(DEFAULT_TIMINGS.renewTimeoutMs),
    pauseAllowanceMs: positiveMs.default(DEFAULT_TIMINGS.pauseAllowanceMs),
    clockDrift: z.number().min(0, 'a drift factor in 0-0.1').max(0.1, 'a drift factor in 0-0.1').default(DEFAULT_TIMINGS.clockDrift),
    kernelLifetimeS: z
      .number()
      .int('whole seconds (the kernel counts address lifetimes in seconds)')
      .min(1, 'at least 1 second')
      .default(DEFAULT_TIMINGS.kernelLifetimeS),
    heartbeatTtlMs: positiveMs.default(DEFAULT_TIMINGS.heartbeatTtlMs),
    rankDelayMs: positiveMs.default(DEFAULT_TIMINGS.rankDelayMs),
  })
  .default(() => ({ ...DEFAULT_TIMINGS }))
  .superRefine((t, ctx) => {
    // ARCHITECTURE.md: the lease must outlive the VIP's kernel lifetime plus every delay a leader can suffer.
    const needed = t.kernelLifetimeS * 1000 + KERNEL_LIFETIME_SLACK_MS + t.renewTimeoutMs + t.pauseAllowanceMs + t.clockDrift * t.leaseTtlMs;
    if (t.leaseTtlMs < needed) {
      ctx.addIssue({
        code: 'custom',
        path: ['leaseTtlMs'],
        message:
          `at least kernelLifetimeS*1000 + ${KERNEL_LIFETIME_SLACK_MS} + renewTimeoutMs + pauseAllowanceMs + clockDrift*leaseTtlMs ` +
          `= ${Math.ceil(needed)} ms (the timing relation of ARCHITECTURE.md)`,
      });
    }
    if (t.renewIntervalMs + t.renewTimeoutMs > t.leaseTtlMs / 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['renewIntervalMs'],
        message: `renewIntervalMs + renewTimeoutMs at most half of leaseTtlMs (${t.leaseTtlMs / 2} ms), so one lost renew is survived`,
      });
    }
    if (t.heartbeatTtlMs < 2 * t.renewIntervalMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['heartbeatTtlMs'],
        message: `at least twice renewIntervalMs (${2 * t.renewIntervalMs} ms), so one late heartbeat does not mark a node offline`,
      });
    }
  });

const resourceSchema = z
  .strictObject({
    id: identifier,
    kind: z.enum(['ocf', 'process', 'systemd'], 'one of ocf, process, systemd'),
    /** ocf: the agent executable (a path, or a name under resource-agents/). */
    agent: z.string().min(1).optional(),
    /** process: the command line, first element the executable. */
    command: z.array(z.string().min(1)).min(1, 'the executable and its arguments').optional(),
    /** systemd: the unit name. */
    unit: z.string().min(1).optional(),
    params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a parameter name'), z.string()).default({}),
    placement: z.enum(['leader', 'every-node', 'promotable'], 'one of leader, every-node, promotable'),
    after: z.array(identifier).default([]),
    timeouts: z
      .strictObject({
        startMs: positiveMs.default(20_000),
        stopMs: positiveMs.default(20_000),
        monitorMs: positiveMs.default(10_000),
      })
      .default({ startMs: 20_000, stopMs: 20_000, monitorMs: 10_000 }),
    monitorIntervalMs: positiveMs.default(10_000),
    migrationThreshold: z.number().int().min(1, 'at least 1 failure').default(3),
    failureTimeoutMs: positiveMs.default(600_000),
  })
  .superRefine((resource, ctx) => {
    const required = { ocf: 'agent', process: 'command', systemd: 'unit' } as const;
    const field = required[resource.kind];
    if (resource[field] === undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: `${field} (required for kind ${resource.kind})` });
    }
  });

export const definitionSchema = z
  .strictObject({
    cluster: identifier,
    service: z.strictObject({
      name: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/i, 'a fully qualified domain name'),
      zone: z.string().regex(/^([a-z0-9-]+\.)*[a-z]{2,}$/i, 'a DNS zone name').optional(),
      vip: z
        .string()
        .refine((value) => {
          const [address, prefix] = value.split('/');
          return address !== undefined && isIP(address) !== 0 && (prefix === undefined || /^\d{1,3}$/.test(prefix));
        }, 'an address with an optional prefix length, e.g. 198.51.100.10/24')
        .optional(),
    }),
    timings: timingsSchema,
    resources: z.array(resourceSchema).default([]),
  })
  .superRefine((definition, ctx) => {
    const ids = definition.resources.map((resource) => resource.id);
    definition.resources.forEach((resource, index) => {
      if (ids.indexOf(resource.id) !== index) {
        ctx.addIssue({ code: 'custom', path: ['resources', index, 'id'], message: 'a resource id used only once' });
      }
      resource.after.forEach((dependency, position) => {
        if (!ids.includes(dependency)) {
          ctx.addIssue({
            code: 'custom',
            path: ['resources', index, 'after', position],
            message: `the id of another resource (known: ${ids.join(', ') || 'none'})`,
          });
        }
      });
    });
    const cycle = findDependencyCycle(definition.resources);
    if (cycle) {
      ctx.addIssue({ code: 'custom', path: ['resources'], message: `dependencies without a cycle (found ${cycle.join(' -> ')})` });
    }
  });

function findDependencyCycle(resources: readonly { id: string; after: readonly string[] }[]): string[] | undefined {
  const byId = new Map(resources.map((resource) => [resource.id, resource.after]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...trail.slice(trail.indexOf(id)), id];
    state.set(id, 'visiting');
    for (const next of byId.get(id) ?? []) {
      const found = visit(next, [...trail, id]);
      if (found) return found;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const id of byId.keys()) {
    const found = visit(id, []);
    if (found) return found;
  }
  return undefined;
}

export type NodeFile = z.infer<typeof nodeFileSchema>;
export type ClusterDefinition = z.infer<typeof definitionSchema>;
export type Timings = ClusterDefinition['timings'];
export type ResourceDefinition = ClusterDefinition['resources'][number];
export type RedisEndpoint = z.infer<typeof redisEndpoint>;
