import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import test from 'ava';
import { DEFAULT_HTTP_PORT } from '../../../src/config/defaults.js';
import { loadAgentConfig } from '../../../src/config/load.js';
import {
  assertProblems,
  configErrorFrom,
  validDefinition,
  validNode,
  writeConfig,
  writeFixture,
  type Plain,
} from './fixture.js';

// The node file: each kind of mistake names the field, shows the bad value and says what was expected.

function nodeWith(change: (node: Plain) => void): Plain {
  const node = validNode();
  change(node);
  return node;
}

test('optional keys get their defaults', (t) => {
  const config = loadAgentConfig(writeConfig(t, validNode(), validDefinition()));
  t.deepEqual(config.node.http, { address: '127.0.0.1', port: DEFAULT_HTTP_PORT });
  t.is(config.node.paths.journal, '/var/lib/stg-cluster/leader-journal.jsonl');
  t.is(config.node.paths.log, undefined);
  t.is(config.node.dataStore.passwordFile, undefined);
});

test('paths relative to the node file are resolved against its folder, absolute ones kept', (t) => {
  const dir = writeFixture(t, {
    'node.yaml': nodeWith((node) => {
      node.paths = { stateDir: 'state', journal: 'journal/leader.jsonl', log: '/var/log/stg/agent.log' };
      node.dataStore = { host: '127.0.0.1', port: 6379, passwordFile: 'secrets/data.pass' };
      node.lockMembers = [{ host: '127.0.0.1', port: 7001, passwordFile: '../lock.pass' }];
      node.definitionFile = 'defs/cluster.yaml';
    }),
  });
  mkdirSync(join(dir, 'defs'));
  writeFileSync(join(dir, 'defs', 'cluster.yaml'), 'cluster: demo\nservice:\n  name: sips.example.es\n');

  const config = loadAgentConfig(join(dir, 'node.yaml'));
  t.is(config.path, join(dir, 'node.yaml'));
  t.is(config.node.definitionFile, join(dir, 'defs', 'cluster.yaml'));
  t.is(config.node.paths.stateDir, join(dir, 'state'));
  t.is(config.node.paths.journal, join(dir, 'journal', 'leader.jsonl'));
  t.is(config.node.paths.log, '/var/log/stg/agent.log');
  t.is(config.node.dataStore.passwordFile, join(dir, 'secrets', 'data.pass'));
  t.is(config.node.lockMembers[0]?.passwordFile, join(dir, '..', 'lock.pass'));
});

test('a relative node file path is resolved against the working directory', (t) => {
  const path = writeConfig(t, validNode(), validDefinition());
  const config = loadAgentConfig(relative(process.cwd(), path));
  t.is(config.path, path);
  t.is(config.node.definitionFile, join(path, '..', 'cluster.yaml'));
});

test('the returned configuration is deeply frozen', (t) => {
  const definition = {
    ...validDefinition(),
    resources: [{ id: 'a', kind: 'ocf', agent: 'dummy', placement: 'leader' }],
  };
  const config = loadAgentConfig(writeConfig(t, validNode(), definition));
  for (const [name, value] of Object.entries({
    config,
    node: config.node,
    'node.node': config.node.node,
    lockMembers: config.node.lockMembers,
    'lockMembers[0]': config.node.lockMembers[0],
    paths: config.node.paths,
    bootstrapDefinition: config.bootstrapDefinition,
    timings: config.bootstrapDefinition.timings,
    resources: config.bootstrapDefinition.resources,
    'resources[0].params': config.bootstrapDefinition.resources[0]?.params,
    'resources[0].timeouts': config.bootstrapDefinition.resources[0]?.timeouts,
  })) {
    t.true(Object.isFrozen(value), `${name} is frozen`);
  }
  // ES modules run in strict mode, so writing to a frozen object throws instead of being ignored.
  t.throws(() => Object.assign(config.node.node, { id: 'stg9' }), { instanceOf: TypeError });
  t.throws(() => (config.node.lockMembers as unknown[]).push({ host: 'x', port: 1 }), { instanceOf: TypeError });
  t.is(config.node.node.id, 'stg1');
});

test('wrong type: names the field, the value and the expected type', (t) => {
  const path = writeConfig(
    t,
    nodeWith((node) => {
      node.dataStore = { host: '127.0.0.1', port: '6379' };
    }),
    validDefinition(),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  t.is(error.source, path);
  t.is(error.code, 'STG_ERR_CONFIG');
  assertProblems(t, error, [{ path: 'dataStore.port', value: '6379', expected: /number.*received string/ }], {
    only: true,
  });
  t.true(error.message.includes('dataStore.port: "6379": expected number'), error.message);
});

test('missing required key: names the key and says it is missing', (t) => {
  const path = writeConfig(
    t,
    nodeWith((node) => {
      delete node.definitionFile;
      (node.node as Plain).id = undefined;
    }),
    validDefinition(),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  assertProblems(
    t,
    error,
    [
      { path: 'definitionFile', value: undefined, expected: /string/ },
      { path: 'node.id', value: undefined, expected: /string/ },
    ],
    { only: true },
  );
  t.true(error.message.includes('definitionFile: missing: expected string'), error.message);
});

test('unknown (misspelt) key: one problem per key, at that key, listing the keys of its object', (t) => {
  const path = writeConfig(
    t,
    nodeWith((node) => {
      node.paths = { stateDir: '/var/lib/stg-cluster', journl: 'j.jsonl' };
      node.lockMember = [];
    }),
    validDefinition(),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  assertProblems(
    t,
    error,
    [
      { path: 'paths.journl', value: 'j.jsonl', expected: /^a known key \(stateDir, journal, log\)$/ },
      {
        path: 'lockMember',
        value: [],
        expected:
          /^a known key \(cluster, node, lockMembers, dataStore, http, paths, definitionFile, dnsExternalKeyFile, sipProxy\)$/,
      },
    ],
    { only: true },
  );
  t.true(
    error.message.includes('  paths.journl: "j.jsonl": expected a known key (stateDir, journal, log)'),
    error.message,
  );
});

test('bad IP address: names the field, the value and the expected address', (t) => {
  const path = writeConfig(
    t,
    nodeWith((node) => {
      node.node = { id: 'stg1', address: '198.51.100.300' };
      node.http = { address: 'localhost' };
    }),
    validDefinition(),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  assertProblems(
    t,
    error,
    [
      { path: 'node.address', value: '198.51.100.300', expected: /IPv4 or IPv6 address/ },
      { path: 'http.address', value: 'localhost', expected: /IPv4 or IPv6 address/ },
    ],
    { only: true },
  );
});

test('bad port: out of range, zero and fractional ports are refused', (t) => {
  const path = writeConfig(
    t,
    nodeWith((node) => {
      node.dataStore = { host: '127.0.0.1', port: 70000 };
      node.http = { port: 0 };
      node.lockMembers = [{ host: '127.0.0.1', port: 7001.5 }];
    }),
    validDefinition(),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  assertProblems(
    t,
    error,
    [
      { path: 'dataStore.port', value: 70000, expected: /port in 1-65535/ },
      { path: 'http.port', value: 0, expected: /port in 1-65535/ },
      { path: 'lockMembers[0].port', value: 7001.5, expected: /whole port number/ },
    ],
    { only: true },
  );
});

test('duplicate lock member: names the repeated entry', (t) => {
  const path = writeConfig(
    t,
    nodeWith((node) => {
      node.lockMembers = [
        { host: '127.0.0.1', port: 7001 },
        { host: '127.0.0.1', port: 7002 },
        { host: '127.0.0.1', port: 7001 },
      ];
    }),
    validDefinition(),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  assertProblems(
    t,
    error,
    [{ path: 'lockMembers[2]', value: { host: '127.0.0.1', port: 7001 }, expected: /each lock member only once/ }],
    { only: true },
  );
});

test('lock members: at least one, at most nine', (t) => {
  const none = configErrorFrom(t, () =>
    loadAgentConfig(
      writeConfig(
        t,
        nodeWith((node) => (node.lockMembers = [])),
        validDefinition(),
      ),
    ),
  );
  assertProblems(t, none, [{ path: 'lockMembers', value: [], expected: /at least one lock member/ }], { only: true });

  const members = Array.from({ length: 10 }, (_, index) => ({ host: '127.0.0.1', port: 7001 + index }));
  const tooMany = configErrorFrom(t, () =>
    loadAgentConfig(
      writeConfig(
        t,
        nodeWith((node) => (node.lockMembers = members)),
        validDefinition(),
      ),
    ),
  );
  assertProblems(t, tooMany, [{ path: 'lockMembers', value: members, expected: /at most 9 lock members/ }], {
    only: true,
  });
});

test('lock members: a malformed member does not hide a repeated one or the count', (t) => {
  const members = [
    { host: '127.0.0.1', port: 7001 },
    { host: '127.0.0.1', port: '7002' },
    { host: '127.0.0.1', port: 7001 },
    ...Array.from({ length: 7 }, (_, index) => ({ host: '127.0.0.1', port: 7003 + index })),
  ];
  const error = configErrorFrom(t, () =>
    loadAgentConfig(
      writeConfig(
        t,
        nodeWith((node) => (node.lockMembers = members)),
        validDefinition(),
      ),
    ),
  );
  assertProblems(
    t,
    error,
    [
      { path: 'lockMembers[1].port', value: '7002', expected: /number/ },
      { path: 'lockMembers[2]', value: { host: '127.0.0.1', port: 7001 }, expected: /only once/ },
      { path: 'lockMembers', value: members, expected: /at most 9 lock members/ },
    ],
    { only: true },
  );
});

test('bad names: node id and cluster must be lower-case identifiers', (t) => {
  const path = writeConfig(
    t,
    nodeWith((node) => {
      node.node = { id: 'STG 1', address: '198.51.100.11' };
    }),
    validDefinition(),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  assertProblems(t, error, [{ path: 'node.id', value: 'STG 1', expected: /lower-case name/ }], { only: true });
});

test('several mistakes in the node file are all reported in one error', (t) => {
  const path = writeConfig(
    t,
    nodeWith((node) => {
      node.node = { id: 'stg1', address: 'nope' };
      node.lockMembers = [
        { host: '127.0.0.1', port: 7001 },
        { host: '127.0.0.1', port: 7001 },
      ];
      node.dataStore = { host: '', port: 6379 };
      node.paths = { stateDir: '' };
      node.definitionFle = 'cluster.yaml';
      delete node.definitionFile;
    }),
    validDefinition(),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  assertProblems(
    t,
    error,
    [
      { path: 'node.address', value: 'nope', expected: /IPv4 or IPv6 address/ },
      { path: 'lockMembers[1]', value: { host: '127.0.0.1', port: 7001 }, expected: /only once/ },
      { path: 'dataStore.host', value: '', expected: /host name or address/ },
      { path: 'paths.stateDir', value: '', expected: /file path/ },
      { path: 'definitionFile', value: undefined, expected: /string/ },
      {
        path: 'definitionFle',
        value: 'cluster.yaml',
        expected: /^a known key \(.*definitionFile, dnsExternalKeyFile, sipProxy\)$/,
      },
    ],
    { only: true },
  );
  t.regex(error.message, /: 6 problem\(s\):/);
});

test('cluster name mismatch between node file and definition: names both', (t) => {
  const definition = { ...validDefinition(), cluster: 'other' };
  const path = writeConfig(t, validNode(), definition);
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  t.is(error.source, path);
  assertProblems(t, error, [{ path: 'cluster', value: 'demo', expected: /cluster\.yaml \("other"\)/ }], { only: true });
});

test('YAML syntax error: the line is given', (t) => {
  const text = ['cluster: demo', 'node:', '  id: stg1', '  address: [198.51.100.11', 'dataStore: {}', ''].join('\n');
  const path = writeConfig(t, text, validDefinition());
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  t.is(error.source, path);
  t.true(error.problems.length >= 1);
  t.true(
    error.problems.every(
      (problem) => /^line \d+, column \d+$/.test(problem.path) && /valid YAML/.test(problem.expected),
    ),
    error.message,
  );
  t.true(
    error.problems.some((problem) => /^line [45],/.test(problem.path)),
    `the unclosed flow sequence is reported at line 4 or 5:\n${error.message}`,
  );
  // No value part ("missing" would be wrong: no key is missing), and the position is given once, as the path.
  t.false(error.message.includes('missing'), error.message);
  t.true(
    error.problems.every((problem) => problem.valueIs === 'none' && !/line \d+, column \d+/.test(problem.expected)),
    error.message,
  );
});

test('YAML duplicate key is a syntax error with its line', (t) => {
  const text = 'cluster: demo\ncluster: demo\n';
  const error = configErrorFrom(t, () => loadAgentConfig(writeConfig(t, text, validDefinition())));
  assertProblems(t, error, [{ path: 'line 2, column 1', expected: /^valid YAML \(Map keys must be unique\)$/ }], {
    only: true,
  });
  t.true(error.message.endsWith(':\n  line 2, column 1: expected valid YAML (Map keys must be unique)'), error.message);
});

test('an empty node file is reported as not being a mapping', (t) => {
  const error = configErrorFrom(t, () => loadAgentConfig(writeConfig(t, '', validDefinition())));
  assertProblems(t, error, [{ path: '', value: null, expected: /object/ }], { only: true });
});

test('unreadable node file: names the file and the reason', (t) => {
  const dir = writeFixture(t, {});
  const missing = join(dir, 'absent.yaml');
  const error = configErrorFrom(t, () => loadAgentConfig(missing));
  t.is(error.source, missing);
  assertProblems(t, error, [{ path: '', value: undefined, expected: /readable YAML file \(ENOENT\)/ }], { only: true });
  t.is(error.message, `${missing}: 1 problem(s):\n  (root): expected a readable YAML file (ENOENT)`);

  const folder = configErrorFrom(t, () => loadAgentConfig(dir));
  assertProblems(t, folder, [{ path: '', expected: /readable YAML file \(EISDIR\)/ }], { only: true });
});

test('sipProxy.statusUrl: an http URL with an IP address of this node and a port; anything else names the field', (t) => {
  for (const statusUrl of ['http://127.0.0.1:5081', 'http://[::1]:5081/', 'http://127.0.0.1:5081']) {
    const config = loadAgentConfig(
      writeConfig(
        t,
        nodeWith((node) => (node.sipProxy = { statusUrl })),
        validDefinition(),
      ),
    );
    t.is(config.node.sipProxy?.statusUrl, statusUrl);
  }
  for (const statusUrl of [
    'https://127.0.0.1:5081',
    'http://localhost:5081',
    'http://127.0.0.1',
    'http://127.0.0.1:5081/status',
    'x',
  ]) {
    const path = writeConfig(
      t,
      nodeWith((node) => (node.sipProxy = { statusUrl })),
      validDefinition(),
    );
    const error = configErrorFrom(t, () => loadAgentConfig(path));
    assertProblems(t, error, [{ path: 'sipProxy.statusUrl', value: statusUrl, expected: /http:\/\/ADDRESS:PORT/ }], {
      only: true,
    });
  }
  const elsewhere = writeConfig(
    t,
    nodeWith((node) => (node.sipProxy = { statusUrl: 'http://192.0.2.44:5081' })),
    validDefinition(),
  );
  assertProblems(
    t,
    configErrorFrom(t, () => loadAgentConfig(elsewhere)),
    [{ path: 'sipProxy.statusUrl', value: 'http://192.0.2.44:5081', expected: /loopback or node\.address/ }],
  );
  const typo = writeConfig(
    t,
    nodeWith((node) => (node.sipProxy = { statusURL: 'http://127.0.0.1:5081' })),
    validDefinition(),
  );
  assertProblems(
    t,
    configErrorFrom(t, () => loadAgentConfig(typo)),
    [{ path: 'sipProxy.statusURL', expected: /a known key \(statusUrl, tls\)/ }],
  );
});

test('sipProxy.tls: the certificate and key paths resolve against the node file; both are required', (t) => {
  const path = writeConfig(
    t,
    nodeWith((node) => (node.sipProxy = { tls: { certFile: 'tls/stg1.pem', keyFile: '/etc/keys/stg1.key' } })),
    validDefinition(),
  );
  const config = loadAgentConfig(path);
  t.deepEqual(config.node.sipProxy?.tls, {
    certFile: join(dirname(path), 'tls/stg1.pem'),
    keyFile: '/etc/keys/stg1.key',
  });
  t.is(config.node.sipProxy?.statusUrl, undefined, 'a proxy without status endpoint may still have a certificate');
  const half = writeConfig(
    t,
    nodeWith((node) => (node.sipProxy = { tls: { certFile: 'tls/stg1.pem' } })),
    validDefinition(),
  );
  assertProblems(
    t,
    configErrorFrom(t, () => loadAgentConfig(half)),
    [{ path: 'sipProxy.tls.keyFile', expected: /string/ }],
  );
});
