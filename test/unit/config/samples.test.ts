import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import { DEFAULT_HTTP_PORT, DEFAULT_TIMINGS } from '../../../src/config/defaults.js';
import { loadAgentConfig, parseDefinition } from '../../../src/config/load.js';
import { repoRoot } from './fixture.js';

// The annotated samples in config/ are what operators copy: they must load as they are.

const sampleDir = join(repoRoot(), 'config');
const nodeSample = join(sampleDir, 'node.example.yaml');
const definitionSample = join(sampleDir, 'cluster.example.yaml');

test('the sample node file and its definition load', (t) => {
  const config = loadAgentConfig(nodeSample);
  t.is(config.path, nodeSample);
  t.is(config.node.cluster, 'demo');
  t.deepEqual(config.node.node, { id: 'stg1', address: '198.51.100.11' });
  t.deepEqual(
    config.node.lockMembers.map((member) => `${member.host}:${member.port}`),
    ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'],
  );
  t.deepEqual(config.node.dataStore, { host: '127.0.0.1', port: 6379 });
  t.deepEqual(config.node.http, { address: '127.0.0.1', port: DEFAULT_HTTP_PORT });
  t.is(config.node.paths.stateDir, '/var/lib/stg-cluster');
  t.is(config.node.definitionFile, definitionSample);

  const definition = config.bootstrapDefinition;
  t.is(definition.cluster, 'demo');
  t.deepEqual(definition.service, { name: 'sips.example.es', zone: 'example.es', vip: '198.51.100.10/24' });
  t.deepEqual(definition.resources, []);
});

test('the sample timings block lists exactly the defaults', (t) => {
  const raw = parse(readFileSync(definitionSample, 'utf8')) as { timings: unknown };
  t.deepEqual(raw.timings, { ...DEFAULT_TIMINGS }, 'keys and values written in the sample');
  t.deepEqual(loadAgentConfig(nodeSample).bootstrapDefinition.timings, { ...DEFAULT_TIMINGS });
});

test('the commented-out resources of the sample definition are valid once uncommented', (t) => {
  const text = readFileSync(definitionSample, 'utf8');
  const lines = text.split('\n');
  const start = lines.indexOf('# resources:');
  t.true(start > 0, 'the sample has a commented "# resources:" block');
  const block = lines
    .slice(start)
    .filter((line) => line.startsWith('#'))
    .map((line) => line.replace(/^# ?/, ''));
  const uncommented = text.replace(/^resources: \[\]$/m, block.join('\n'));
  const definition = parseDefinition(parse(uncommented), 'uncommented sample');

  t.deepEqual(
    definition.resources.map((resource) => [resource.id, resource.kind, resource.placement]),
    [
      ['vip', 'ocf', 'leader'],
      ['sip-proxy', 'process', 'every-node'],
    ],
  );
  const [vip, proxy] = definition.resources;
  t.is(vip?.agent, 'vip');
  t.deepEqual(vip?.params, { address: '198.51.100.10/24', interface: 'eth0' });
  t.deepEqual(vip?.timeouts, { startMs: 5000, stopMs: 5000, monitorMs: 2000 });
  t.deepEqual(proxy?.command, [
    '/opt/stg-cluster/node_modules/.bin/node',
    '/opt/stg-cluster/dist/src/sip/main.js',
    '--config',
    '/etc/stg-cluster/sip-proxy.yaml',
    '--node-file',
    '/etc/stg-cluster/node.yaml',
  ]);
});
