#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { createRootLogger } from '../log.js';
import { loadPushConfig, type PushConfig } from './config.js';
import { loadCredentials, type Credentials } from './credentials.js';
import { connectDataStore, loadNodeDataStore } from './data-store.js';
import { PushKeys } from './keys.js';
import { PushMetrics, serveMetrics } from './metrics.js';
import { closeProviders, createProviders } from './providers.js';
import { PushWorker } from './worker.js';

/** sysexits' EX_CONFIG, as stg-agent: retrying cannot help. */
const EXIT_BAD_CONFIG = 78;

async function loadAll(nodeFile: string, pushFile: string) {
  const node = loadNodeDataStore(nodeFile);
  const config: PushConfig = loadPushConfig(pushFile);
  const credentials: Credentials = await loadCredentials(config, pushFile);
  return { node, config, credentials };
}

const program = new Command('stg-push-worker')
  .description('push worker: takes push jobs from the data Redis and sends them through FCM and APNs')
  .option('--node-file <file>', 'the node file (node id, data Redis)', '/etc/stg-cluster/node.yaml')
  .option('--push-config <file>', 'the push configuration (providers, queue, metrics)', '/etc/stg-cluster/push.yaml')
  .option('--check-config', 'check both files and the credentials they name, then exit')
  .action(async (options: { nodeFile: string; pushConfig: string; checkConfig?: boolean }) => {
    let loaded: Awaited<ReturnType<typeof loadAll>>;
    try {
      loaded = await loadAll(options.nodeFile, options.pushConfig);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`stg-push-worker: invalid configuration, nothing started.\n${error.message}\n`);
      process.exit(EXIT_BAD_CONFIG);
    }
    const { node, config, credentials } = loaded;
    if (options.checkConfig) {
      const providers = [config.fcm && 'fcm', config.apns && 'apns'].filter(Boolean).join(', ');
      process.stdout.write(
        `configuration valid: providers ${providers}; data Redis ${node.dataStore.host}:${node.dataStore.port}\n`,
      );
      return;
    }
    const consumer = `${node.nodeId}-${process.pid}-${randomBytes(2).toString('hex')}`;
    const log = createRootLogger({ node: node.nodeId, component: 'push-worker', consumer });
    const metrics = new PushMetrics();
    const { server, port } = await serveMetrics(metrics, config.metrics.address, config.metrics.port);
    const redis = connectDataStore(node.dataStore, `stg-push-worker:${consumer}`);
    const providers = createProviders(config, credentials, log);
    const worker = new PushWorker({
      redis,
      keys: new PushKeys(config.queue.prefix),
      queue: config.queue,
      retry: config.retry,
      invalidTokenTtlS: config.invalidTokenTtlS,
      consumer,
      providers,
      log,
      metrics,
    });
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, `received ${signal}: finishing held jobs, then leaving`);
      worker
        .stop()
        .then(() => closeProviders(providers))
        .then(() => redis.quit())
        .finally(() => {
          server.close();
          log.flush(() => process.exit(0));
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    log.info({ metricsPort: port }, `metrics on http://${config.metrics.address}:${port}/metrics`);
    await worker.start();
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`stg-push-worker: cannot start: ${(error as Error).message}\n`);
  process.exit(1);
});
