import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { problemsFromIssues } from '../config/problems.js';
import { readYamlChecked } from '../config/yaml-file.js';
import { IDENTIFIER, IDENTIFIER_RULE } from '../config/names.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { proxySchema, type ProxyConfig } from './proxy/config.js';
import { pushWaitSchema, pushWaitSettings, type PushWaitConfig } from './proxy/push-wait-config.js';
import { resolveSipAuthConfig, sipAuthConfigSchema, type SipAuthConfig } from './auth/config.js';
import {
  dataStoreSchema,
  registrarSchema,
  registrarSettings,
  registrarStoreProblems,
  type DataStoreConfig,
  type RegistrarSettings,
} from './registrar/config.js';
import {
  TlsFileError,
  readTlsClientFiles,
  readTlsFiles,
  type ListenSpec,
  type TlsClientOptions,
  type TransportLimits,
} from './transport/index.js';
import { strictObject, wholeInRange as whole } from '../config/zod-rules.js';
import { statusSchema, type StatusConfig } from './status/config.js';

/*
 * The configuration of stg-sip-proxy: where to listen, and the limits on peers. Objects are strict (a misspelt key
 * is a problem), every problem is reported at once with its path, the value found and what was expected.
 */

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

const filePath = z.string().min(1, 'a file path');

/** Certificate and key of a TLS or WSS listener; with caFile, clients must present a certificate from that CA. */
const tlsFiles = strictObject({ certFile: filePath, keyFile: filePath, caFile: filePath.optional() });

/**
 * The ports a listener takes when its entry names none: SIP's 5060 for UDP and TCP, the STG's public TLS port 5554
 * (what devices and HAProxy connect to today), the HTTP ports for WebSocket (RFC 7118 runs over HTTP's). The
 * internal port other nodes reach (5556) is a TCP listener of its own, so it always names its port.
 */
export const DEFAULT_PORTS = { udp: 5060, tcp: 5060, tls: 5554, ws: 80, wss: 443 } as const;

const listenEntry = strictObject({
  transport: z.enum(['udp', 'tcp', 'tls', 'ws', 'wss'], 'udp or tcp or tls or ws or wss'),
  address: specificAddress,
  /** Default: the port of its transport on an STG node (DEFAULT_PORTS). */
  port: whole(0, 65535, 'a port, 0 for any free port').optional(),
  tls: tlsFiles.optional(),
  /** Fed by HAProxy with send-proxy-v2: a PROXY header required on every connection (and refused elsewhere). */
  behindProxy: z.boolean('true or false').optional(),
  /** ws/wss: the HTTP path of the upgrade; any path when absent. */
  path: z
    .string()
    .regex(/^\/[!-~]*$/, 'an HTTP path starting with / (printable ASCII, no spaces)')
    .optional(),
}).superRefine(
  (entry, ctx) => {
    const { transport, tls, behindProxy, path } = entry as Record<string, unknown>;
    const problem = (key: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [key], input: (entry as Record<string, unknown>)[key], message });
    const secure = transport === 'tls' || transport === 'wss';
    if (secure && tls === undefined) {
      problem('tls', `{ certFile, keyFile } for a ${String(transport)} listener, or sipProxy.tls in the --node-file`);
    }
    if (!secure && tls !== undefined && typeof transport === 'string')
      problem('tls', 'no tls block: only tls and wss listeners have one');
    if (transport === 'udp' && behindProxy === true) problem('behindProxy', 'false: HAProxy forwards streams, not UDP');
    if (path !== undefined && transport !== 'ws' && transport !== 'wss')
      problem('path', 'no path: only ws and wss listeners have one');
  },
  { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
);

/** Outgoing TLS (sips: targets): whom to trust (the system's CAs without caFile), our own certificate if any. */
const tlsClient = strictObject({
  caFile: filePath.optional(),
  certFile: filePath.optional(),
  keyFile: filePath.optional(),
  /** false accepts any server certificate: for a lab only. */
  verifyServer: z.boolean('true or false').optional(),
}).refine((value) => (value.certFile === undefined) === (value.keyFile === undefined), {
  message: 'certFile and keyFile together, or neither',
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
  handshakeTimeoutMs: whole(100, 600_000, 'milliseconds'),
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
          const { transport, address, port: given } = entry as Record<string, unknown>;
          const port = given ?? DEFAULT_PORTS[transport as keyof typeof DEFAULT_PORTS];
          if (port === 0) return;
          // TCP, TLS, WS and WSS listeners share the TCP port space.
          const key = `${transport === 'udp' ? 'udp' : 'stream'} ${String(address)} ${String(port)}`;
          if (seen.has(key))
            ctx.addIssue({ code: 'custom', path: [index], input: entry, message: 'each address only once' });
          seen.add(key);
        });
        // Checked even when an entry has a problem of its own (zod would skip the refinement otherwise).
      },
      { when: (payload) => Array.isArray(payload.value) },
    ),
  limits: limits.optional(),
  /** The data Redis of the registrar (src/sip/registrar/config.ts). */
  dataStore: dataStoreSchema.optional(),
  /** REGISTER handling; without it REGISTER is not served here. */
  registrar: registrarSchema.optional(),
  /** The proxy core (src/sip/proxy/config.ts): domains, PBX targets, Record-Route, timer overrides. */
  proxy: proxySchema.optional(),
  /** Calls and messages waiting for a device woken by a push (src/sip/proxy/push-wait-config.ts). */
  pushWait: pushWaitSchema.optional(),
  tlsClient: tlsClient.optional(),
  /** Digest authentication per domain (src/sip/auth/config.ts); nothing is challenged without it. */
  auth: sipAuthConfigSchema.optional(),
  /** The HTTP endpoint for the local agent: /metrics, /status, /health (src/sip/status/config.ts). */
  status: statusSchema.optional(),
  log: strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
    /** A file to write to; standard output when absent. */
    file: z.string().min(1, 'a file path').optional(),
  }).optional(),
});

/**
 * What the node file (--node-file) gives the proxy: the node's id, and its certificate for the public TLS and WSS
 * listeners that have no tls block of their own (paths already resolved against the node file's folder).
 */
export interface NodeFileDefaults {
  readonly path: string;
  readonly node: string;
  readonly tls: { readonly certFile: string; readonly keyFile: string; readonly caFile?: string } | undefined;
}

export interface SipProxyConfig {
  readonly path: string;
  /** The node file the node id and the listeners' default certificate came from, if any. */
  readonly nodeFile: string | undefined;
  /** The listeners (indexes in `listen`) that took the node file's certificate. */
  readonly nodeCertificateListeners: ReadonlySet<number>;
  readonly node: string | undefined;
  readonly listen: readonly ListenSpec[];
  readonly limits: Partial<TransportLimits>;
  readonly dataStore: DataStoreConfig | undefined;
  readonly registrar: RegistrarSettings | undefined;
  readonly proxy: ProxyConfig | undefined;
  readonly pushWait: PushWaitConfig | undefined;
  readonly tlsClient: TlsClientOptions | undefined;
  readonly log: { readonly level?: string | undefined; readonly file?: string | undefined };
  readonly auth: SipAuthConfig | undefined;
  readonly status: StatusConfig | undefined;
}

/**
 * Reads and checks a configuration file; throws ConfigError listing every problem. Paths resolve against its folder.
 * With `nodeFile`, a TLS or WSS listener without a tls block takes the node's certificate, and `node` defaults to the
 * node's id (a different one is a problem: logs and metrics would name another node).
 */
export function loadSipProxyConfig(path: string, nodeFile?: NodeFileDefaults): SipProxyConfig {
  const absolute = resolve(path);
  const raw = readYamlChecked(absolute);
  if (!raw.ok) throw new ConfigError(absolute, raw.problems);
  const { value: input, fromNodeFile } = withNodeFileTls(raw.value, nodeFile);
  const result = sipProxyConfigSchema.safeParse(input, { reportInput: true });
  const storeProblems = registrarStoreProblems(raw.value);
  const nodeProblems = nodeIdProblems(raw.value, nodeFile);
  if (!result.success || storeProblems.length > 0 || nodeProblems.length > 0) {
    const schemaProblems = result.success ? [] : problemsFromIssues(result.error.issues, raw.value);
    throw new ConfigError(absolute, [...schemaProblems, ...storeProblems, ...nodeProblems]);
  }
  const { listen, limits: given, tlsClient: client, log } = result.data;
  const node = result.data.node ?? nodeFile?.node;
  const here = (file: string) => resolve(absolute, '..', file);
  const file = log?.file === undefined ? undefined : here(log.file);
  const entries = listen.map((entry) => {
    const { tls, behindProxy, path: httpPath, port, ...plain } = entry;
    return Object.freeze({
      ...plain,
      port: port ?? DEFAULT_PORTS[plain.transport],
      ...(tls ? { tls: Object.freeze(resolveFiles(tls, here)) } : {}),
      ...(behindProxy !== undefined ? { behindProxy } : {}),
      ...(httpPath !== undefined ? { path: httpPath } : {}),
    });
  });
  const outgoing = client ? Object.freeze(resolveFiles(client, here)) : undefined;
  const problems = tlsFileProblems(entries, outgoing, raw.value, fromNodeFile);
  if (problems.length > 0) throw new ConfigError(absolute, problems);
  return Object.freeze({
    path: absolute,
    nodeFile: nodeFile?.path,
    nodeCertificateListeners: fromNodeFile,
    node,
    listen: Object.freeze(entries),
    limits: Object.freeze({ ...given }),
    dataStore: result.data.dataStore
      ? Object.freeze({
          ...result.data.dataStore,
          ...(result.data.dataStore.passwordFile ? { passwordFile: here(result.data.dataStore.passwordFile) } : {}),
        })
      : undefined,
    registrar: result.data.registrar ? registrarSettings(result.data.registrar) : undefined,
    proxy: result.data.proxy,
    pushWait: result.data.pushWait,
    tlsClient: outgoing,
    log: Object.freeze({ level: log?.level, file }),
    auth: result.data.auth && resolveSipAuthConfig(result.data.auth, resolve(absolute, '..')),
    status: result.data.status && Object.freeze({ ...result.data.status }),
  });
}

/** The raw configuration with the node's certificate given to each TLS or WSS listener written without one. */
function withNodeFileTls(
  raw: unknown,
  nodeFile: NodeFileDefaults | undefined,
): { value: unknown; fromNodeFile: ReadonlySet<number> } {
  const fromNodeFile = new Set<number>();
  const tls = nodeFile?.tls;
  const listen = (raw as { listen?: unknown } | null)?.listen;
  if (tls === undefined || !Array.isArray(listen)) return { value: raw, fromNodeFile };
  const entries = listen.map((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null) return entry;
    const { transport, tls: own } = entry as Record<string, unknown>;
    if ((transport !== 'tls' && transport !== 'wss') || own !== undefined) return entry;
    fromNodeFile.add(index);
    return { ...entry, tls: { ...tls } };
  });
  return { value: { ...(raw as object), listen: entries }, fromNodeFile };
}

function nodeIdProblems(raw: unknown, nodeFile: NodeFileDefaults | undefined): ConfigProblem[] {
  const written = (raw as { node?: unknown } | null)?.node;
  if (nodeFile === undefined || typeof written !== 'string' || written === nodeFile.node) return [];
  return [{ path: 'node', value: written, expected: `node.id of ${nodeFile.path} ("${nodeFile.node}"), or no node` }];
}

/** The same object with its certFile, keyFile and caFile resolved against the configuration's folder. */
function resolveFiles<
  T extends { certFile?: string | undefined; keyFile?: string | undefined; caFile?: string | undefined },
>(files: T, here: (file: string) => string): T {
  const resolved = { ...files };
  for (const key of ['certFile', 'keyFile', 'caFile'] as const) {
    const value = files[key];
    if (value !== undefined) resolved[key] = here(value) as T[typeof key];
  }
  return resolved;
}

/** Reads every TLS file now, so that a missing file or a key that does not match its certificate stops the start. */
function tlsFileProblems(
  listen: readonly ListenSpec[],
  client: TlsClientOptions | undefined,
  input: unknown,
  fromNodeFile: ReadonlySet<number>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const check = (where: string, read: () => unknown, written: Record<string, unknown> | undefined) => {
    try {
      read();
    } catch (error) {
      if (!(error instanceof TlsFileError)) throw error;
      problems.push({
        path: `${where}.${error.field}`,
        value: written?.[error.field] ?? error.file,
        expected: error.expected,
      });
    }
  };
  const source = (input ?? {}) as { listen?: { tls?: Record<string, unknown> }[]; tlsClient?: Record<string, unknown> };
  listen.forEach((entry, index) => {
    // The node file's certificate is checked with the node file (checkNodeFileTls), once for every listener.
    if (entry.tls && !fromNodeFile.has(index)) {
      check(`listen[${index}].tls`, () => readTlsFiles(entry.tls!), source.listen?.[index]?.tls);
    }
  });
  if (client) check('tlsClient', () => readTlsClientFiles(client), source.tlsClient);
  return problems;
}

/**
 * Reads the node file's certificate and key now (as the listeners' own are read), so that a missing file or a key
 * that does not match its certificate stops the start, named as written in the node file.
 */
export function checkNodeFileTls(nodeFile: NodeFileDefaults, written: Record<string, unknown> | undefined): void {
  if (!nodeFile.tls) return;
  try {
    readTlsFiles(nodeFile.tls);
  } catch (error) {
    if (!(error instanceof TlsFileError)) throw error;
    throw new ConfigError(nodeFile.path, [
      { path: `sipProxy.tls.${error.field}`, value: written?.[error.field] ?? error.file, expected: error.expected },
    ]);
  }
}

/** One line per setting, for `--check-config`. */
export function describeSipProxyConfig(config: SipProxyConfig): string {
  const lines = [`${config.path}: configuration valid`];
  if (config.nodeFile) lines.push(`  node ${config.node} (node file ${config.nodeFile})`);
  config.listen.forEach((entry, index) => {
    const origin = config.nodeCertificateListeners.has(index) ? ' (node file)' : '';
    const marks = [
      entry.behindProxy ? 'behind HAProxy (PROXY header required)' : '',
      entry.path !== undefined ? `path ${entry.path}` : '',
      entry.tls
        ? `certificate ${entry.tls.certFile}${origin}${entry.tls.caFile ? `, client CA ${entry.tls.caFile}` : ''}`
        : '',
    ].filter(Boolean);
    lines.push(`  listen ${entry.transport} ${entry.address} port ${entry.port}${marks.map((m) => `, ${m}`).join('')}`);
  });
  if (config.tlsClient) lines.push(`  tlsClient: ${JSON.stringify(config.tlsClient)}`);
  for (const [key, value] of Object.entries(config.limits)) lines.push(`  ${key}: ${JSON.stringify(value)}`);
  if (config.dataStore) lines.push(`  data Redis ${config.dataStore.host}:${config.dataStore.port}`);
  if (config.registrar) {
    const r = config.registrar;
    lines.push(
      `  registrar for ${r.domains.join(', ')}: expires ${r.minExpiresS}-${r.maxExpiresS} s (default ${r.defaultExpiresS}), ` +
        `${r.maxContactsPerAor} contacts per AOR, ${r.maxInFlight} REGISTERs in flight${r.ownPath ? `, Path <${r.ownPath}>` : ''}`,
    );
  }
  for (const target of config.proxy?.pbx?.targets ?? []) {
    lines.push(`  pbx target ${target.transport} ${target.address} port ${target.port}`);
  }
  if (config.registrar && config.dataStore) {
    const wait = pushWaitSettings(config.pushWait);
    lines.push(
      wait.enabled
        ? `  push wait: calls ${wait.callTimeoutMs} ms, messages ${wait.messageTimeoutMs} ms, at most ${wait.maxPending} waiting, queue ${wait.queuePrefix}`
        : '  push wait: off',
    );
  }
  for (const domain of config.auth?.domains.values() ?? []) lines.push(`  auth ${domain.domain}: ${domain.mode}`);
  if (config.status)
    lines.push(`  status endpoint ${config.status.address} port ${config.status.port}: /metrics, /status, /health`);
  return lines.join('\n');
}
