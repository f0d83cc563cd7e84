import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { readDataStoreEndpoint } from '../../push/data-store.js';
import { aorFromInput } from '../../sip/registrar/aor.js';
import { readProxyNodes } from '../../sip/registrar/proxy-nodes.js';
import type { RedisEndpoint } from '../../config/schema.js';
import { CommandFailed } from '../session.js';
import { listRegistrations, readRegistration } from './read-registrations.js';
import { renderRegistration, renderRegistrationList } from './render-registrations.js';

/** How long clusterctl waits for the data Redis before saying it is unreachable. */
const CONNECT_TIMEOUT_MS = 3000;

export type RegistrationsOutput = { kind: 'ok'; text: string; json: unknown } | { kind: 'bad-aor' };

/** Reads the records and renders them (text and JSON); rejects with CommandFailed when Redis cannot be read. */
export async function registrationsCommand(options: {
  aor: string | undefined;
  nodeFile: string;
}): Promise<RegistrationsOutput> {
  const aor = options.aor === undefined ? undefined : aorOf(options.aor);
  if (options.aor !== undefined && aor === undefined) return { kind: 'bad-aor' };
  const endpoint = readDataStoreEndpoint(options.nodeFile);
  const redis = await connect(endpoint);
  try {
    const nowS = Math.floor(Date.now() / 1000);
    const proxyNodes = await readProxyNodes(redis);
    const nodeOf = (proxyId: string) => proxyNodes.get(proxyId);
    if (aor === undefined) {
      const summaries = await listRegistrations(redis, nowS, nodeOf);
      return { kind: 'ok', text: renderRegistrationList(summaries), json: { aors: summaries } };
    }
    const bindings = await readRegistration(redis, aor, nowS, nodeOf);
    return { kind: 'ok', text: renderRegistration(aor, bindings), json: { aor, bindings } };
  } catch (error) {
    throw new CommandFailed(`data Redis ${where(endpoint)}: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

/** The registrar's key of what the operator typed; another scheme (tel:, mailto:) is no AOR of the registrar. */
function aorOf(input: string): string | undefined {
  const scheme = /^<?([A-Za-z][A-Za-z0-9+.-]*):/.exec(input.trim())?.[1];
  if (scheme !== undefined && !/^sips?$/i.test(scheme)) return undefined;
  return aorFromInput(input);
}

/** One attempt, no retries: an operator wants to know at once that the data Redis does not answer. */
async function connect(endpoint: RedisEndpoint): Promise<Redis> {
  let password: string | undefined;
  if (endpoint.passwordFile) {
    try {
      password = readFileSync(endpoint.passwordFile, 'utf8').trim();
    } catch (error) {
      throw new CommandFailed(`data Redis password file ${endpoint.passwordFile}: ${(error as Error).message}`);
    }
  }
  const redis = new Redis({
    host: endpoint.host,
    port: endpoint.port,
    password,
    connectionName: 'clusterctl-registrations',
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The socket's error (ECONNREFUSED...) says more than connect()'s rejection ("Connection is closed").
  let socketError: NodeJS.ErrnoException | undefined;
  redis.on('error', (error: NodeJS.ErrnoException) => (socketError ??= error));
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    const err = socketError ?? (error as NodeJS.ErrnoException);
    throw new CommandFailed(`data Redis ${where(endpoint)} unreachable: ${err.code ?? err.message}`);
  }
}

function where(endpoint: RedisEndpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}
