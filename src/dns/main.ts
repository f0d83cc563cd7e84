#!/usr/bin/env node
import { isIP } from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import { loadAgentConfig, type AgentConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { createRootLogger } from '../log.js';
import { ControlPlane } from '../store/control-plane.js';
import { DnsService } from './dns-service.js';

/** sysexits' EX_CONFIG, as stg-agent: retrying with the same files cannot help. */
const EXIT_BAD_CONFIG = 78;
const DEFAULT_NODE_FILE = '/etc/stg-cluster/node.yaml';
/** The safety-net re-read of the published set; pub/sub normally signals a change at once. */
const DEFAULT_REFRESH_MS = 2000;
/** A reader can wait longer than the leader's renew timeout: nothing is lost by a slow answer. */
const MIN_COMMAND_TIMEOUT_MS = 500;

function address(value: string): string {
  if (isIP(value) === 0) throw new InvalidArgumentError(`"${value}" is not an IPv4 or IPv6 address`);
  return value;
}

function whole(min: number, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      throw new InvalidArgumentError(`"${value}" is not a whole number in ${min}-${max}`);
    }
    return number;
  };
}

function loadOrExit(path: string): AgentConfig {
  try {
    return loadAgentConfig(path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`stg-dns: invalid configuration, nothing started.\n${error.message}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
}

interface Options {
  nodeFile: string;
  listen: string[];
  port?: number;
  refreshMs: number;
}

const program = new Command('stg-dns')
  .description(
    "stg-cluster's authoritative DNS server for the service zone: answers every query from the record set the " +
      'leader published in the control plane, on the node address and the VIP (UDP and TCP)',
  )
  .option(
    '--node-file <file>',
    'the node file (lock members, node address; its definitionFile gives the port and VIP until a set is read)',
    process.env['STG_NODE_FILE'] ?? DEFAULT_NODE_FILE,
  )
  .option(
    '--listen <address>',
    'listen on this address instead of the node address and VIP (repeat for several)',
    (value: string, previous: string[]) => [...previous, address(value)],
    [] as string[],
  )
  .option('--port <port>', "listen on this port instead of the definition's dns.port", whole(1, 65535))
  .option(
    '--refresh-ms <ms>',
    're-read the published set this often even without a signal',
    whole(100, 600_000),
    DEFAULT_REFRESH_MS,
  )
  .action(async (options: Options) => {
    const config = loadOrExit(options.nodeFile);
    const { node, bootstrapDefinition: definition } = config;
    const log = createRootLogger({ node: node.node.id, cluster: node.cluster, component: 'dns' });
    const plane = new ControlPlane(node.lockMembers, {
      cluster: node.cluster,
      commandTimeoutMs: Math.max(MIN_COMMAND_TIMEOUT_MS, definition.timings.renewTimeoutMs),
      // Reads only: a member is counted once identified. The newest set is on any majority because members persist
      // every write before answering (appendfsync always), and the server never goes back to an older set.
      ignoreWindowMs: () => 0,
      log: log.child({ component: 'control-plane' }),
    });
    const service = new DnsService({
      node: node.node.id,
      nodeAddress: node.node.address,
      plane,
      listen: options.listen.length > 0 ? options.listen : undefined,
      port: options.port,
      initial: { port: definition.dns.port, vip: definition.service.vip?.split('/')[0] ?? null },
      refreshMs: options.refreshMs,
      log,
    });
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, `received ${signal}: stopping`);
      service
        .stop()
        .then(() => plane.close())
        .then(
          () => log.flush(() => process.exit(0)),
          (error: unknown) => {
            log.error({ err: error }, 'error while stopping');
            log.flush(() => process.exit(1));
          },
        );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    await service.start();
    log.info(`stg-dns ${node.node.id} started`);
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`stg-dns: ${(error as Error).message}\n`);
  process.exit(1);
});
