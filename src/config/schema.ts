import { isIP } from 'node:net';
import { z } from 'zod';
import { IDENTIFIER, IDENTIFIER_RULE, PORT_RULE } from './names.js';
import { DEFAULT_HTTP_PORT, DEFAULT_TIMINGS, KERNEL_LIFETIME_SLACK_MS } from './defaults.js';
import { DNS_DEFAULTS } from '../dns/defaults.js';
import { dnsExternalKeyFileField, externalDnsSchema } from '../dns/external/config.js';
import { strictObject, wholeNumber } from './zod-rules.js';

/*
 * One schema for both configuration files; the TypeScript types are inferred from it, so the checked shape and the
 * used shape cannot drift apart. Objects are strict: a misspelt key is a problem, not a silently ignored line.
 *
 * Every problem is reported at once. Zod skips a refinement once a type error exists anywhere inside the value it
 * refines, so each refinement here runs `when` its value is at least an object or array, and reads that value
 * defensively: an entry with a wrong type already has its own problem and is left out of the cross checks. Zod's
 * `.int()` is not used: a fraction would end every refinement around it even with `when` (an explicit abort).
 * Custom issues set `input` to the value at their path: problems.ts shows it when the file leaves the key out.
 */

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null;
const objectValue = { when: (payload: z.core.ParsePayload) => isObject(payload.value) };
const arrayValue = { when: (payload: z.core.ParsePayload) => Array.isArray(payload.value) };

const identifier = z.string().regex(IDENTIFIER, IDENTIFIER_RULE);
const port = wholeNumber('a whole port number').min(1, PORT_RULE).max(65535, PORT_RULE);
const ipAddress = z.string().refine((value) => isIP(value) !== 0, 'an IPv4 or IPv6 address');
const hostName = z.string().min(1, 'a host name or address');
const filePath = z.string().min(1, 'a file path');
const positiveMs = wholeNumber('whole milliseconds').positive('a positive number of milliseconds');

/** The address of an `http://ADDRESS:PORT` URL (brackets removed for IPv6), else undefined. */
function statusUrlAddress(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return url.protocol === 'http:' && isIP(host) !== 0 ? host : undefined;
}

function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address);
}

/** `http://ADDRESS:PORT` with an IP literal (no name to resolve) and nothing after the port (the paths are fixed). */
const sipProxyStatusUrl = z.string().refine((value) => {
  if (statusUrlAddress(value) === undefined) return false;
  const url = new URL(value);
  return url.port !== '' && (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '';
}, 'an http://ADDRESS:PORT URL with an IP address (e.g. http://127.0.0.1:5081)');

/** An address with at most one `/prefix`, the prefix no longer than the address (32 bits for IPv4, 128 for IPv6). */
function isAddressWithPrefix(value: string): boolean {
  const parts = value.split('/');
  const [address = '', prefix] = parts;
  const family = isIP(address);
  if (parts.length > 2 || family === 0) return false;
  if (prefix === undefined) return true;
  return /^(0|[1-9][0-9]{0,2})$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const redisEndpoint = strictObject({
  host: hostName,
  port,
  /** The password lives in a file, never in the configuration itself. */
  passwordFile: filePath.optional(),
});

export const nodeFileSchema = strictObject({
  cluster: identifier,
  node: strictObject({
    id: identifier,
    address: ipAddress,
  }),
  lockMembers: z
    .array(redisEndpoint)
    .min(1, 'at least one lock member')
    .superRefine((members: unknown[], ctx) => {
      // Not `.max(9)`: zod reports an array longer than its max alone, without checking the members.
      if (members.length > 9) ctx.addIssue({ code: 'custom', input: members, message: 'at most 9 lock members' });
      const seen = new Set<string>();
      members.forEach((member, index) => {
        if (!isObject(member) || typeof member.host !== 'string' || typeof member.port !== 'number') return;
        const key = `${member.host}:${member.port}`;
        if (seen.has(key)) {
          ctx.addIssue({ code: 'custom', path: [index], input: member, message: 'each lock member only once' });
        }
        seen.add(key);
      });
    }, arrayValue),
  dataStore: redisEndpoint,
  http: strictObject({ address: ipAddress.default('127.0.0.1'), port: port.default(DEFAULT_HTTP_PORT) }).default({
    address: '127.0.0.1',
    port: DEFAULT_HTTP_PORT,
  }),
  paths: strictObject({
    stateDir: filePath,
    journal: filePath.optional(),
    log: filePath.optional(),
  }),
  /** The cluster definition this node bootstraps the cluster with when none exists yet (relative to this file). */
  definitionFile: filePath,
  /** The TSIG key (BIND key-file format) for `dns.external` updates; a secret, so a path here (relative to this file). */
  dnsExternalKeyFile: dnsExternalKeyFileField,
  /** This node's stg-sip-proxy. */
  sipProxy: strictObject({
    /** Its status endpoint, which the agent reads (heartbeat, /metrics, /health/sip-proxy). */
    statusUrl: sipProxyStatusUrl.optional(),
    /**
     * This node's certificate and key (relative to this file) for the proxy's public TLS and WSS listeners that have
     * no tls block of their own; with caFile, clients must present a certificate from that CA. The proxy reads them
     * when started with --node-file.
     */
    tls: strictObject({ certFile: filePath, keyFile: filePath, caFile: filePath.optional() }).optional(),
  }).optional(),
}).superRefine((file, ctx) => {
  // The status endpoint is this node's own proxy: on loopback, or on the node's own address.
  const sipProxy: unknown = (file as Loose)['sipProxy'];
  const node: unknown = (file as Loose)['node'];
  const statusUrl = isObject(sipProxy) ? sipProxy['statusUrl'] : undefined;
  const nodeAddress = isObject(node) ? node['address'] : undefined;
  const address = typeof statusUrl === 'string' ? statusUrlAddress(statusUrl) : undefined;
  if (address === undefined || isLoopback(address) || address === nodeAddress) return;
  ctx.addIssue({
    code: 'custom',
    path: ['sipProxy', 'statusUrl'],
    input: statusUrl,
    message: `an address of this node: loopback or node.address (${String(nodeAddress)})`,
  });
}, objectValue);

const timingFields = {
  leaseTtlMs: positiveMs.default(DEFAULT_TIMINGS.leaseTtlMs),
  renewIntervalMs: positiveMs.default(DEFAULT_TIMINGS.renewIntervalMs),
  renewTimeoutMs: positiveMs.default(DEFAULT_TIMINGS.renewTimeoutMs),
  pauseAllowanceMs: positiveMs.default(DEFAULT_TIMINGS.pauseAllowanceMs),
  clockDrift: z
    .number()
    .min(0, 'a drift factor in 0-0.1')
    .max(0.1, 'a drift factor in 0-0.1')
    .default(DEFAULT_TIMINGS.clockDrift),
  kernelLifetimeS: wholeNumber('whole seconds (the kernel counts address lifetimes in seconds)')
    .min(1, 'at least 1 second')
    .default(DEFAULT_TIMINGS.kernelLifetimeS),
  heartbeatTtlMs: positiveMs.default(DEFAULT_TIMINGS.heartbeatTtlMs),
  rankDelayMs: positiveMs.default(DEFAULT_TIMINGS.rankDelayMs),
};

const timingsSchema = strictObject(timingFields)
  .default(() => ({ ...DEFAULT_TIMINGS }))
  .superRefine((timings: Loose, ctx) => {
    // Each relation is checked when every timing it reads is valid on its own (an invalid one has its own problem).
    // The values are the effective ones: a key left out counts with its default, and the problem shows that default.
    const valid = (key: keyof typeof timingFields) =>
      timingFields[key].safeParse(timings[key]).success ? (timings[key] as number) : undefined;
    const leaseTtlMs = valid('leaseTtlMs');
    const renewIntervalMs = valid('renewIntervalMs');
    const renewTimeoutMs = valid('renewTimeoutMs');
    const pauseAllowanceMs = valid('pauseAllowanceMs');
    const clockDrift = valid('clockDrift');
    const kernelLifetimeS = valid('kernelLifetimeS');
    const heartbeatTtlMs = valid('heartbeatTtlMs');
    const round = (value: number) => Math.round(value * 100) / 100;

    if (
      leaseTtlMs !== undefined &&
      renewTimeoutMs !== undefined &&
      pauseAllowanceMs !== undefined &&
      clockDrift !== undefined &&
      kernelLifetimeS !== undefined
    ) {
      // ARCHITECTURE.md: the lease must outlive the VIP's kernel lifetime plus every delay a leader can suffer.
      const terms = [kernelLifetimeS * 1000, KERNEL_LIFETIME_SLACK_MS, renewTimeoutMs, pauseAllowanceMs];
      const drift = clockDrift * leaseTtlMs;
      const needed = terms.reduce((sum, term) => sum + term, drift);
      if (leaseTtlMs < needed) {
        ctx.addIssue({
          code: 'custom',
          path: ['leaseTtlMs'],
          input: leaseTtlMs,
          message:
            `at least kernelLifetimeS*1000 + ${KERNEL_LIFETIME_SLACK_MS} + renewTimeoutMs + pauseAllowanceMs + ` +
            `clockDrift*leaseTtlMs = ${Math.ceil(needed)} ms (the timing relation of ARCHITECTURE.md; here ` +
            `${[...terms, drift].map(round).join(' + ')})`,
        });
      }
    }
    if (leaseTtlMs !== undefined && renewIntervalMs !== undefined && renewTimeoutMs !== undefined) {
      if (renewIntervalMs + renewTimeoutMs > leaseTtlMs / 2) {
        ctx.addIssue({
          code: 'custom',
          path: ['renewIntervalMs'],
          input: renewIntervalMs,
          message:
            `renewIntervalMs + renewTimeoutMs at most half of leaseTtlMs (${leaseTtlMs / 2} ms), so one lost renew ` +
            `is survived (here ${renewIntervalMs} + ${renewTimeoutMs} = ${renewIntervalMs + renewTimeoutMs} ms)`,
        });
      }
    }
    if (heartbeatTtlMs !== undefined && renewIntervalMs !== undefined && heartbeatTtlMs < 2 * renewIntervalMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['heartbeatTtlMs'],
        input: heartbeatTtlMs,
        message: `at least twice renewIntervalMs (${2 * renewIntervalMs} ms), so one late heartbeat does not mark a node offline`,
      });
    }
  }, objectValue);

/** The field each kind of resource needs. */
const requiredByKind = { ocf: 'agent', process: 'command', systemd: 'unit' } as const;

const resourceSchema = strictObject({
  id: identifier,
  kind: z.enum(['ocf', 'process', 'systemd'], 'one of ocf, process, systemd'),
  /** ocf: the agent executable (a path, or a name under resource-agents/). */
  agent: z.string().min(1, 'an agent name or path').optional(),
  /** process: the command line, first element the executable. */
  command: z.array(z.string().min(1, 'a non-empty argument')).min(1, 'the executable and its arguments').optional(),
  /** systemd: the unit name. */
  unit: z.string().min(1, 'a unit name').optional(),
  params: z
    .record(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a parameter name (letters, digits or _, not starting with a digit)'),
      z.string(),
    )
    .default({}),
  placement: z.enum(['leader', 'every-node', 'promotable'], 'one of leader, every-node, promotable'),
  after: z.array(identifier).default([]),
  timeouts: strictObject({
    startMs: positiveMs.default(20_000),
    stopMs: positiveMs.default(20_000),
    monitorMs: positiveMs.default(10_000),
  }).default({ startMs: 20_000, stopMs: 20_000, monitorMs: 10_000 }),
  monitorIntervalMs: positiveMs.default(10_000),
  migrationThreshold: wholeNumber('a whole number of failures').min(1, 'at least 1 failure').default(3),
  failureTimeoutMs: positiveMs.default(600_000),
}).superRefine((resource: Loose, ctx) => {
  const kind = resource.kind;
  if (kind !== 'ocf' && kind !== 'process' && kind !== 'systemd') return; // a bad kind has its own problem
  const field = requiredByKind[kind];
  if (resource[field] === undefined) {
    ctx.addIssue({ code: 'custom', path: [field], input: undefined, message: `${field} (required for kind ${kind})` });
  }
}, objectValue);

const SERVICE_NAME = /^([a-z0-9-]+\.)+[a-z]{2,}$/i;
const ZONE_NAME = /^([a-z0-9-]+\.)*[a-z]{2,}$/i;

/** The embedded DNS server (src/dns/): the port it listens on and what its records say. */
const dnsSchema = strictObject({
  ttlS: wholeNumber('whole seconds')
    .min(1, 'a TTL of 1-86400 seconds')
    .max(86_400, 'a TTL of 1-86400 seconds')
    .default(DNS_DEFAULTS.ttlS),
  port: port.default(DNS_DEFAULTS.port),
  ports: strictObject({
    sips: port.default(DNS_DEFAULTS.ports.sips),
    sip: port.default(DNS_DEFAULTS.ports.sip),
  }).default({ ...DNS_DEFAULTS.ports }),
  healthResource: identifier.default(DNS_DEFAULTS.healthResource),
  /** Optional: the leader also moves the service name on this external server (RFC 2136 + TSIG). */
  external: externalDnsSchema.optional(),
}).default(() => ({ ...DNS_DEFAULTS, ports: { ...DNS_DEFAULTS.ports } }));

export const definitionSchema = strictObject({
  cluster: identifier,
  service: strictObject({
    name: z.string().regex(SERVICE_NAME, 'a fully qualified domain name'),
    zone: z.string().regex(ZONE_NAME, 'a DNS zone name').optional(),
    vip: z
      .string()
      .refine(
        isAddressWithPrefix,
        'an address with an optional prefix length (at most /32 for IPv4, /128 for IPv6), e.g. 198.51.100.10/24',
      )
      .optional(),
  }).superRefine((service: Loose, ctx) => {
    // The embedded DNS is authoritative for the zone only: a service name outside it could never be answered.
    const { name, zone } = service;
    if (typeof name !== 'string' || typeof zone !== 'string') return;
    if (!SERVICE_NAME.test(name) || !ZONE_NAME.test(zone)) return; // each has its own problem then
    const [lowerName, lowerZone] = [name.toLowerCase(), zone.toLowerCase()];
    if (lowerName !== lowerZone && !lowerName.endsWith(`.${lowerZone}`)) {
      ctx.addIssue({ code: 'custom', path: ['zone'], input: zone, message: `a zone containing ${name}` });
    }
  }, objectValue),
  timings: timingsSchema,
  dns: dnsSchema,
  resources: z.array(resourceSchema).default([]),
}).superRefine((definition: Loose, ctx) => checkResourceReferences(definition.resources, ctx), objectValue);

/**
 * The checks across resources: unique ids, `after` naming a known resource, no dependency cycle. Entries that are
 * not objects with a string id are left out (they have their own problems); so are non-string `after` entries.
 */
function checkResourceReferences(resources: unknown, ctx: z.core.$RefinementCtx) {
  if (!Array.isArray(resources)) return;
  const entries = resources.flatMap((resource: unknown, index) =>
    isObject(resource) && typeof resource.id === 'string'
      ? [{ index, id: resource.id, after: Array.isArray(resource.after) ? (resource.after as unknown[]) : [] }]
      : [],
  );
  const ids = entries.map((entry) => entry.id);
  const known = [...new Set(ids)].join(', ') || 'none';
  entries.forEach(({ index, id, after }, position) => {
    if (ids.indexOf(id) !== position) {
      ctx.addIssue({
        code: 'custom',
        path: ['resources', index, 'id'],
        input: id,
        message: 'a resource id used only once',
      });
    }
    after.forEach((dependency, at) => {
      if (typeof dependency === 'string' && !ids.includes(dependency)) {
        ctx.addIssue({
          code: 'custom',
          path: ['resources', index, 'after', at],
          input: dependency,
          message: `the id of another resource (known: ${known})`,
        });
      }
    });
  });
  const cycle = findDependencyCycle(
    entries.map(({ id, after }) => ({ id, after: after.filter((dependency) => typeof dependency === 'string') })),
  );
  if (cycle) {
    ctx.addIssue({
      code: 'custom',
      path: ['resources'],
      input: resources,
      message: `dependencies without a cycle (found ${cycle.join(' -> ')})`,
    });
  }
}

function findDependencyCycle(resources: readonly { id: string; after: readonly string[] }[]): string[] | undefined {
  // A repeated id (its own problem) merges the dependencies of its entries, so none is lost.
  const byId = new Map<string, string[]>();
  for (const { id, after } of resources) byId.set(id, [...(byId.get(id) ?? []), ...after]);
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
