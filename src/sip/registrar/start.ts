import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import { SipRequest } from '../message/index.js';
import type { MessageHandler, SipTransportLayer } from '../transport/index.js';
import { BindingStore } from './binding-store.js';
import type { DataStoreConfig, RegistrarSettings } from './config.js';
import { announceProxyNode } from './proxy-nodes.js';
import { Registrar } from './registrar.js';
import { RegistrationEvents } from './registration-events.js';

export interface RunningRegistrar {
  readonly registrar: Registrar;
  readonly events: RegistrationEvents;
  close(): Promise<void>;
}

/**
 * The registrar of a proxy process: its connections to the data Redis (one for commands, one for subscriptions),
 * the store, and the flows forgotten when their connections close. Redis need not be up: the process starts
 * anyway, REGISTERs get 503 until the connection is ready, and ioredis keeps reconnecting.
 */
export function startRegistrar(options: {
  dataStore: DataStoreConfig;
  settings: RegistrarSettings;
  transports: SipTransportLayer;
  log: Logger;
  /** This node's name (the proxy file's `node`): with a Path, announced for `clusterctl registrations`. */
  node?: string | undefined;
}): RunningRegistrar {
  const { dataStore, settings, transports, log, node } = options;
  const password = dataStore.passwordFile ? readFileSync(dataStore.passwordFile, 'utf8').trim() : undefined;
  const redis = new Redis({
    host: dataStore.host,
    port: dataStore.port,
    password,
    db: dataStore.db ?? 0,
    connectionName: 'stg-sip-proxy:registrar',
    // Commands issued in the same tick go out in one write: under load REGISTERs are batched for free.
    enableAutoPipelining: true,
    // A write not confirmed in time is a 503 (see Registrar); a command is never retried on another connection.
    commandTimeout: settings.writeTimeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(1000, 50 * times),
  });
  const subscriber = redis.duplicate({
    connectionName: 'stg-sip-proxy:registrations',
    commandTimeout: undefined,
    enableAutoPipelining: false,
  });
  const watch = (client: Redis, role: string) => {
    let down = false;
    client.once('ready', () =>
      log.info({ dataStore: { role } }, `data Redis ${dataStore.host}:${dataStore.port} (${role}) connected`),
    );
    client.on('error', (error: Error) => {
      if (down) return;
      down = true;
      log.warn({ err: error }, `data Redis ${dataStore.host}:${dataStore.port} (${role}): ${error.message}`);
    });
    client.on('ready', () => {
      if (down) log.info(`data Redis ${dataStore.host}:${dataStore.port} (${role}) is back`);
      down = false;
    });
  };
  watch(redis, 'registrar');
  if (settings.proxyId !== undefined && node !== undefined) {
    const { proxyId } = settings;
    redis.on('ready', () => {
      announceProxyNode(redis, proxyId, node).catch((error: Error) => {
        log.warn({ err: error }, `fs-proxy-id ${proxyId} not announced as ${node}: ${error.message}`);
      });
    });
  }
  watch(subscriber, 'registration events');
  const registrar = new Registrar({
    store: new BindingStore(redis, settings.maxContactsPerAor),
    settings,
    log,
    storeReady: () => redis.status === 'ready',
    closeFlow: (connectionId, reason) => transports.closeConnection(connectionId, reason),
  });
  transports.onConnectionClosed((id) => registrar.forgetFlow(id));
  const events = new RegistrationEvents(subscriber, log);
  return {
    registrar,
    events,
    close: async () => {
      await events.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * The message handler with REGISTER taken by the registrar: its answer goes back where RFC 3261 18.2.2 says;
 * everything else goes to `next` (the proxy core).
 */
export function withRegistrar(
  registrar: Registrar,
  transports: SipTransportLayer,
  log: Logger,
  next: MessageHandler,
): MessageHandler {
  return (message, source) => {
    if (!(message instanceof SipRequest) || message.method !== 'REGISTER') return next(message, source);
    return registrar.handle(message, source).then(
      (response) =>
        transports.sendResponse(response, source).catch((error: Error) => {
          log.debug({ err: error, sip: { method: 'REGISTER' } }, 'REGISTER answer not sent');
        }),
      (error: Error) => {
        log.error({ err: error }, 'REGISTER handling failed (a bug): answered 500');
        return transports.reply(message, source, 500).catch(() => undefined);
      },
    );
  };
}
