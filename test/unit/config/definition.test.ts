import { join } from 'node:path';
import test from 'ava';
import { DEFAULT_TIMINGS, KERNEL_LIFETIME_SLACK_MS } from '../../../src/config/defaults.js';
import { loadAgentConfig, parseDefinition } from '../../../src/config/load.js';
import {
  assertProblems,
  configErrorFrom,
  processResource,
  validDefinition,
  validNode,
  writeConfig,
  writeFixture,
  type Plain,
} from './fixture.js';

// The cluster definition: timings, the timing relation, resources and their dependencies.

function definitionWith(change: (definition: Plain) => void): Plain {
  const definition = validDefinition();
  change(definition);
  return definition;
}

const parse = (definition: unknown) => () => parseDefinition(definition, 'test definition');

test('defaults are filled in: timings, resources and each resource', (t) => {
  const minimal = { cluster: 'demo', service: { name: 'sips.example.es' } };
  const definition = parseDefinition(minimal, 'minimal');
  t.deepEqual(definition.timings, { ...DEFAULT_TIMINGS });
  t.deepEqual(definition.resources, []);
  t.is(definition.service.vip, undefined);

  const withResource = parseDefinition(
    { ...minimal, resources: [{ id: 'vip', kind: 'ocf', agent: 'vip', placement: 'leader' }] },
    'one resource',
  );
  t.deepEqual(withResource.resources[0], {
    id: 'vip',
    kind: 'ocf',
    agent: 'vip',
    placement: 'leader',
    params: {},
    after: [],
    timeouts: { startMs: 20_000, stopMs: 20_000, monitorMs: 10_000 },
    monitorIntervalMs: 10_000,
    migrationThreshold: 3,
    failureTimeoutMs: 600_000,
  });
});

test('a partial timings block keeps the defaults of the keys it leaves out', (t) => {
  const definition = parseDefinition({ ...validDefinition(), timings: { leaseTtlMs: 4000 } }, 'partial');
  t.deepEqual(definition.timings, { ...DEFAULT_TIMINGS, leaseTtlMs: 4000 });
  const partialTimeouts = parseDefinition(
    { ...validDefinition(), resources: [processResource('a', { timeouts: { startMs: 1000 } })] },
    'partial timeouts',
  );
  t.deepEqual(partialTimeouts.resources[0]?.timeouts, { startMs: 1000, stopMs: 20_000, monitorMs: 10_000 });
});

test('the default timings satisfy the timing relation of ARCHITECTURE.md', (t) => {
  const d = DEFAULT_TIMINGS;
  const needed =
    d.kernelLifetimeS * 1000 +
    KERNEL_LIFETIME_SLACK_MS +
    d.renewTimeoutMs +
    d.pauseAllowanceMs +
    d.clockDrift * d.leaseTtlMs;
  t.true(d.leaseTtlMs >= needed, `${d.leaseTtlMs} >= ${needed}`);
  t.true(d.renewIntervalMs + d.renewTimeoutMs <= d.leaseTtlMs / 2);
  t.true(d.heartbeatTtlMs >= 2 * d.renewIntervalMs);
});

test('parseDefinition names its source in the error', (t) => {
  const error = configErrorFrom(t, () => parseDefinition({ cluster: 'demo' }, 'control plane, version 7'));
  t.is(error.source, 'control plane, version 7');
  t.true(error.message.startsWith('control plane, version 7: 1 problem(s):'), error.message);
  assertProblems(t, error, [{ path: 'service', value: undefined, expected: /object/ }], { only: true });
});

test('wrong type: names the field, the value and the expected type', (t) => {
  const error = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.timings = { leaseTtlMs: '2s', clockDrift: '1%' }))),
  );
  assertProblems(
    t,
    error,
    [
      { path: 'timings.leaseTtlMs', value: '2s', expected: /number.*received string/ },
      { path: 'timings.clockDrift', value: '1%', expected: /number.*received string/ },
    ],
    { only: true },
  );
});

test('missing required key: names the key', (t) => {
  const error = configErrorFrom(
    t,
    parse(
      definitionWith((definition) => {
        definition.service = { zone: 'example.es' };
        delete definition.cluster;
      }),
    ),
  );
  assertProblems(
    t,
    error,
    [
      { path: 'service.name', value: undefined, expected: /string/ },
      { path: 'cluster', value: undefined, expected: /string/ },
    ],
    { only: true },
  );
});

test('unknown (misspelt) key: one problem per key, at that key, listing the keys of its object', (t) => {
  const error = configErrorFrom(
    t,
    parse(
      definitionWith((definition) => {
        definition.timings = { leaseTtl: 2000, renewInterval: 200 };
        definition.resource = [];
      }),
    ),
  );
  const timingKeys =
    /^a known key \(leaseTtlMs, renewIntervalMs, renewTimeoutMs, pauseAllowanceMs, clockDrift, kernelLifetimeS, heartbeatTtlMs, rankDelayMs\)$/;
  assertProblems(
    t,
    error,
    [
      { path: 'timings.leaseTtl', value: 2000, expected: timingKeys },
      { path: 'timings.renewInterval', value: 200, expected: timingKeys },
      { path: 'resource', value: [], expected: /^a known key \(cluster, service, timings, dns, resources\)$/ },
    ],
    { only: true },
  );
  t.true(error.message.includes('  timings.leaseTtl: 2000: expected a known key (leaseTtlMs, '), error.message);
});

test('bad VIP and bad service name: names the field, the value and the expected form', (t) => {
  const error = configErrorFrom(
    t,
    parse(
      definitionWith(
        (definition) => (definition.service = { name: 'sips', zone: 'example..es', vip: '198.51.100.300/24' }),
      ),
    ),
  );
  assertProblems(
    t,
    error,
    [
      { path: 'service.name', value: 'sips', expected: /fully qualified domain name/ },
      { path: 'service.zone', value: 'example..es', expected: /DNS zone name/ },
      { path: 'service.vip', value: '198.51.100.300/24', expected: /address with an optional prefix length/ },
    ],
    { only: true },
  );
});

test('VIP: at most one prefix length, no longer than the address', (t) => {
  const vip = (value: string) => () =>
    parseDefinition({ ...validDefinition(), service: { name: 'sips.example.es', vip: value } }, `vip ${value}`);
  for (const good of ['198.51.100.10', '198.51.100.10/0', '198.51.100.10/32', '2001:db8::10', '2001:db8::10/128']) {
    t.is(vip(good)().service.vip, good);
  }
  for (const bad of [
    '198.51.100.10/33',
    '198.51.100.10/99',
    '2001:db8::10/129',
    '198.51.100.10/24/8',
    '198.51.100.10/',
    '198.51.100.10/024',
    '198.51.100.10/+4',
    '/24',
  ]) {
    const error = configErrorFrom(t, vip(bad));
    assertProblems(t, error, [{ path: 'service.vip', value: bad, expected: /at most \/32 for IPv4, \/128 for IPv6/ }], {
      only: true,
    });
  }
});

test('timing relation violated: leaseTtlMs 1000 names leaseTtlMs and the relation with the needed value', (t) => {
  const error = configErrorFrom(t, parse(definitionWith((definition) => (definition.timings = { leaseTtlMs: 1000 }))));
  // 1000*1 + 250 + 200 + 300 + 0.01*1000 = 1760
  assertProblems(
    t,
    error,
    [
      {
        path: 'timings.leaseTtlMs',
        value: 1000,
        expected:
          /^at least kernelLifetimeS\*1000 \+ 250 \+ renewTimeoutMs \+ pauseAllowanceMs \+ clockDrift\*leaseTtlMs = 1760 ms \(the timing relation of ARCHITECTURE\.md; here 1000 \+ 250 \+ 200 \+ 300 \+ 10\)$/,
      },
    ],
    { only: true },
  );
});

test('timing relation violated by a longer kernel lifetime or pause allowance', (t) => {
  const lifetime = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.timings = { kernelLifetimeS: 2 }))),
  );
  // 2000 + 250 + 200 + 300 + 20 = 2770 > 2000 (the default ttl)
  assertProblems(
    t,
    lifetime,
    [{ path: 'timings.leaseTtlMs', expected: /timing relation.*= 2770 ms|= 2770 ms.*timing relation/ }],
    {
      only: true,
    },
  );

  const pause = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.timings = { leaseTtlMs: 3000, pauseAllowanceMs: 1600 }))),
  );
  // 1000 + 250 + 200 + 1600 + 30 = 3080 > 3000
  assertProblems(t, pause, [{ path: 'timings.leaseTtlMs', value: 3000, expected: /= 3080 ms/ }], { only: true });
});

test('renewIntervalMs too large: more than half the ttl with the renew timeout', (t) => {
  const error = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.timings = { renewIntervalMs: 900, heartbeatTtlMs: 5000 }))),
  );
  // 900 + 200 > 2000 / 2
  assertProblems(
    t,
    error,
    [
      {
        path: 'timings.renewIntervalMs',
        value: 900,
        expected:
          /^renewIntervalMs \+ renewTimeoutMs at most half of leaseTtlMs \(1000 ms\), so one lost renew is survived \(here 900 \+ 200 = 1100 ms\)$/,
      },
    ],
    { only: true },
  );
});

test('heartbeatTtlMs shorter than two renew intervals is refused', (t) => {
  const error = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.timings = { heartbeatTtlMs: 300 }))),
  );
  assertProblems(
    t,
    error,
    [{ path: 'timings.heartbeatTtlMs', value: 300, expected: /at least twice renewIntervalMs \(400 ms\)/ }],
    {
      only: true,
    },
  );
});

test('timings out of range: drift, whole seconds, positive milliseconds', (t) => {
  const error = configErrorFrom(
    t,
    parse(
      definitionWith(
        (definition) =>
          (definition.timings = { clockDrift: 0.5, kernelLifetimeS: 1.5, rankDelayMs: 0, renewTimeoutMs: 12.5 }),
      ),
    ),
  );
  assertProblems(
    t,
    error,
    [
      { path: 'timings.clockDrift', value: 0.5, expected: /drift factor in 0-0\.1/ },
      { path: 'timings.kernelLifetimeS', value: 1.5, expected: /whole seconds/ },
      { path: 'timings.rankDelayMs', value: 0, expected: /positive number of milliseconds/ },
      { path: 'timings.renewTimeoutMs', value: 12.5, expected: /whole milliseconds/ },
    ],
    { only: true },
  );
});

test('duplicate resource id: names the second use', (t) => {
  const error = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.resources = [processResource('dns'), processResource('dns')]))),
  );
  assertProblems(t, error, [{ path: 'resources[1].id', value: 'dns', expected: /resource id used only once/ }], {
    only: true,
  });
});

test('`after` naming an unknown resource: names the entry and lists the known ids', (t) => {
  const error = configErrorFrom(
    t,
    parse(
      definitionWith(
        (definition) =>
          (definition.resources = [processResource('dns'), processResource('sip-proxy', { after: ['dns', 'vip'] })]),
      ),
    ),
  );
  assertProblems(
    t,
    error,
    [{ path: 'resources[1].after[1]', value: 'vip', expected: /the id of another resource \(known: dns, sip-proxy\)/ }],
    { only: true },
  );
});

test('dependency cycle: the cycle is spelt out', (t) => {
  const resources = [
    processResource('a', { after: ['c'] }),
    processResource('b', { after: ['a'] }),
    processResource('c', { after: ['b'] }),
  ];
  const error = configErrorFrom(t, parse(definitionWith((definition) => (definition.resources = resources))));
  assertProblems(
    t,
    error,
    [{ path: 'resources', value: resources, expected: /without a cycle \(found a -> c -> b -> a\)/ }],
    { only: true },
  );

  const self = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.resources = [processResource('a', { after: ['a'] })]))),
  );
  assertProblems(t, self, [{ path: 'resources', expected: /found a -> a\)/ }], { only: true });
});

test('kind-specific missing field: ocf without agent, process without command, systemd without unit', (t) => {
  const resources = [
    { id: 'vip', kind: 'ocf', placement: 'leader' },
    { id: 'dns', kind: 'process', placement: 'every-node' },
    { id: 'haproxy', kind: 'systemd', placement: 'every-node' },
    { id: 'extra', kind: 'process', command: [], placement: 'every-node' },
  ];
  const error = configErrorFrom(t, parse(definitionWith((definition) => (definition.resources = resources))));
  assertProblems(
    t,
    error,
    [
      { path: 'resources[0].agent', value: undefined, expected: /^agent \(required for kind ocf\)$/ },
      { path: 'resources[1].command', value: undefined, expected: /^command \(required for kind process\)$/ },
      { path: 'resources[2].unit', value: undefined, expected: /^unit \(required for kind systemd\)$/ },
      { path: 'resources[3].command', value: [], expected: /the executable and its arguments/ },
    ],
    { only: true },
  );
});

test('bad resource kind and placement', (t) => {
  const error = configErrorFrom(
    t,
    parse(
      definitionWith(
        (definition) =>
          (definition.resources = [
            processResource('a', { kind: 'docker' }),
            processResource('b', { placement: 'everywhere' }),
          ]),
      ),
    ),
  );
  assertProblems(
    t,
    error,
    [
      { path: 'resources[0].kind', value: 'docker', expected: /one of ocf, process, systemd/ },
      { path: 'resources[1].placement', value: 'everywhere', expected: /one of leader, every-node, promotable/ },
    ],
    { only: true },
  );
});

test('bad parameter name: the path names the parameter', (t) => {
  const error = configErrorFrom(
    t,
    parse(
      definitionWith((definition) => (definition.resources = [processResource('a', { params: { 'bad-name': 'x' } })])),
    ),
  );
  assertProblems(
    t,
    error,
    [{ path: 'resources[0].params.bad-name', value: 'bad-name', expected: /^a key that is a parameter name \(/ }],
    { only: true },
  );
  t.true(
    error.message.includes(
      '  resources[0].params.bad-name: "bad-name": expected a key that is a parameter name (letters, digits or _, not starting with a digit)',
    ),
    error.message,
  );
});

test('several mistakes in the definition are all reported in one error', (t) => {
  const definition = definitionWith((d) => {
    d.service = { name: 'sips.example.es', vip: 'not-an-address' };
    d.timings = { leaseTtlMs: 1000, rankDelay: 100 };
    d.resources = [
      { id: 'vip', kind: 'ocf', placement: 'leader' },
      processResource('dns', { after: ['bind'] }),
      processResource('dns'),
    ];
  });
  const error = configErrorFrom(t, parse(definition));
  assertProblems(
    t,
    error,
    [
      { path: 'service.vip', value: 'not-an-address', expected: /address with an optional prefix length/ },
      { path: 'timings.rankDelay', value: 100, expected: /known key \(.*rankDelayMs/ },
      { path: 'timings.leaseTtlMs', value: 1000, expected: /timing relation/ },
      { path: 'resources[0].agent', value: undefined, expected: /required for kind ocf/ },
      { path: 'resources[1].after[0]', value: 'bind', expected: /the id of another resource/ },
      { path: 'resources[2].id', value: 'dns', expected: /used only once/ },
    ],
    { only: true },
  );
});

// loadAgentConfig's error has the node file as its source; the definition's problems carry its name, as the node
// file writes it, before their paths.

test('the definition file: YAML syntax error names that file and the line', (t) => {
  const text = 'cluster: demo\nservice:\n  name: "sips.example.es\n';
  const path = writeConfig(t, validNode(), text);
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  t.is(error.source, path);
  t.true(error.problems.length >= 1);
  t.true(
    error.problems.every(
      (problem) =>
        /^cluster\.yaml: line \d+, column \d+$/.test(problem.path) &&
        /^valid YAML \(.+\)$/.test(problem.expected) &&
        !/line \d+, column \d+/.test(problem.expected) &&
        problem.value === undefined &&
        problem.valueIs === 'none',
    ),
    error.message,
  );
  t.true(
    error.problems.some((problem) => /^cluster\.yaml: line [34],/.test(problem.path)),
    `the unclosed quote is reported at line 3 or 4:\n${error.message}`,
  );
  t.regex(error.message, /\n {2}cluster\.yaml: line 4, column 1: expected valid YAML \(Missing closing "quote\)$/);
  t.false(error.message.includes('missing'), error.message);
});

test('the definition file: problems name that file', (t) => {
  const path = writeConfig(
    t,
    validNode(),
    definitionWith((definition) => (definition.timings = { leaseTtlMs: 1000 })),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  t.is(error.source, path);
  assertProblems(t, error, [{ path: 'cluster.yaml: timings.leaseTtlMs', value: 1000, expected: /timing relation/ }], {
    only: true,
  });
});

test('the definition file: its name is given as the node file writes it', (t) => {
  const dir = writeFixture(t, {
    'node.yaml': { ...validNode(), definitionFile: 'defs/../cluster.yaml' },
    'cluster.yaml': definitionWith((definition) => (definition.service = { name: 'sips' })),
  });
  const error = configErrorFrom(t, () => loadAgentConfig(join(dir, 'node.yaml')));
  assertProblems(
    t,
    error,
    [{ path: 'defs/../cluster.yaml: service.name', value: 'sips', expected: /fully qualified domain name/ }],
    { only: true },
  );
});

test('the definition file unreadable: names it and the reason', (t) => {
  const dir = writeFixture(t, { 'node.yaml': { ...validNode(), definitionFile: 'absent.yaml' } });
  const error = configErrorFrom(t, () => loadAgentConfig(join(dir, 'node.yaml')));
  t.is(error.source, join(dir, 'node.yaml'));
  assertProblems(t, error, [{ path: 'absent.yaml', value: undefined, expected: /^a readable YAML file \(ENOENT\)$/ }], {
    only: true,
  });
  t.true(error.message.endsWith('\n  absent.yaml: expected a readable YAML file (ENOENT)'), error.message);
});

test('the definition file that is not a mapping names the file as the path', (t) => {
  const error = configErrorFrom(t, () => loadAgentConfig(writeConfig(t, validNode(), '')));
  assertProblems(t, error, [{ path: 'cluster.yaml', value: null, expected: /object/ }], { only: true });
});

// Fixed bugs of an earlier review: every problem is reported at once, and each shows a meaningful value.

test('a type error elsewhere does not hide the cross-resource checks', (t) => {
  // Zod skips a refinement once a type error exists inside its value; the cross checks run regardless.
  const definition = definitionWith((d) => {
    d.service = { name: 5 };
    d.resources = [
      processResource('a', { after: ['b', 'x'] }),
      processResource('b', { after: ['a'] }),
      processResource('a'),
    ];
  });
  const error = configErrorFrom(t, parse(definition));
  assertProblems(
    t,
    error,
    [
      { path: 'service.name', value: 5, expected: /string/ },
      { path: 'resources[2].id', value: 'a', expected: /used only once/ },
      { path: 'resources[0].after[1]', value: 'x', expected: /another resource/ },
      { path: 'resources', expected: /cycle \(found a -> b -> a\)/ },
    ],
    { only: true },
  );
});

test('malformed resources are left out of the cross checks, not crashed on', (t) => {
  const definition = definitionWith((d) => {
    d.resources = [
      'dns',
      null,
      processResource('a', { after: 'b' }),
      processResource('b', { id: 7, after: ['a'] }),
      processResource('c', { after: [1, 'a', 'zz'] }),
      processResource('a', { kind: 'docker' }),
    ];
  });
  const error = configErrorFrom(t, parse(definition));
  assertProblems(
    t,
    error,
    [
      { path: 'resources[0]', value: 'dns', expected: /object/ },
      { path: 'resources[1]', value: null, expected: /object/ },
      { path: 'resources[2].after', value: 'b', expected: /array/ },
      { path: 'resources[3].id', value: 7, expected: /string/ },
      { path: 'resources[4].after[0]', value: 1, expected: /string/ },
      { path: 'resources[4].after[2]', value: 'zz', expected: /the id of another resource \(known: a, c\)/ },
      { path: 'resources[5].kind', value: 'docker', expected: /one of ocf, process, systemd/ },
      { path: 'resources[5].id', value: 'a', expected: /used only once/ },
    ],
    { only: true },
  );
});

test('a type error in a resource does not hide its kind-specific missing field', (t) => {
  const resources = [
    { id: 'vip', kind: 'ocf', placement: 'leader', monitorIntervalMs: '10s' },
    { id: 'dns', kind: 'process', placement: 'every-node', timeouts: { startMs: 'x' }, extra: 1 },
  ];
  const error = configErrorFrom(t, parse(definitionWith((definition) => (definition.resources = resources))));
  assertProblems(
    t,
    error,
    [
      { path: 'resources[0].monitorIntervalMs', value: '10s', expected: /number/ },
      { path: 'resources[0].agent', value: undefined, expected: /^agent \(required for kind ocf\)$/ },
      { path: 'resources[1].timeouts.startMs', value: 'x', expected: /number/ },
      { path: 'resources[1].extra', value: 1, expected: /^a known key \(id, kind, agent, command, unit, params, / },
      { path: 'resources[1].command', value: undefined, expected: /^command \(required for kind process\)$/ },
    ],
    { only: true },
  );
});

test('a type error in one timing does not hide a relation it takes no part in', (t) => {
  const error = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.timings = { leaseTtlMs: 1000, rankDelayMs: 'soon' }))),
  );
  assertProblems(
    t,
    error,
    [
      { path: 'timings.rankDelayMs', value: 'soon', expected: /number/ },
      { path: 'timings.leaseTtlMs', value: 1000, expected: /= 1760 ms \(the timing relation/ },
    ],
    { only: true },
  );
  // A relation that reads a broken timing is not checked: its result would mean nothing.
  const broken = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.timings = { leaseTtlMs: 1000, renewTimeoutMs: '1s' }))),
  );
  assertProblems(t, broken, [{ path: 'timings.renewTimeoutMs', value: '1s', expected: /number/ }], { only: true });
});

test('problems of the node file and of its definition are reported together', (t) => {
  // loadAgentConfig's contract: "Throws one ConfigError listing every problem of both files".
  const path = writeConfig(
    t,
    { ...validNode(), node: { id: 'stg1', address: 'nope' } },
    definitionWith((definition) => {
      definition.cluster = 'other';
      definition.timings = { leaseTtlMs: 1000 };
    }),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  t.is(error.source, path);
  assertProblems(
    t,
    error,
    [
      { path: 'node.address', value: 'nope', expected: /IPv4 or IPv6 address/ },
      { path: 'cluster.yaml: timings.leaseTtlMs', value: 1000, expected: /timing relation/ },
      { path: 'cluster', value: 'demo', expected: /^the cluster of cluster\.yaml \("other"\)$/ },
    ],
    { only: true },
  );
  t.regex(error.message, /: 3 problem\(s\):/);
});

test('a node file without a usable definitionFile reports its own problems only', (t) => {
  const path = writeConfig(t, { ...validNode(), definitionFile: 7 }, '');
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  assertProblems(t, error, [{ path: 'definitionFile', value: 7, expected: /string/ }], { only: true });
});

test('the cluster names are compared only when both are valid', (t) => {
  const path = writeConfig(
    t,
    validNode(),
    definitionWith((definition) => (definition.cluster = 'Other')),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  assertProblems(t, error, [{ path: 'cluster.yaml: cluster', value: 'Other', expected: /lower-case name/ }], {
    only: true,
  });
});

test('a VIP prefix length longer than the address is refused', (t) => {
  const error = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.service = { name: 'sips.example.es', vip: '198.51.100.10/99' }))),
  );
  assertProblems(t, error, [{ path: 'service.vip', value: '198.51.100.10/99', expected: /prefix/ }], { only: true });
});

test('a relation problem shows the effective (defaulted) value, not "missing"', (t) => {
  // Only renewTimeoutMs is written; leaseTtlMs and renewIntervalMs are the defaults 2000 and 200.
  const error = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.timings = { renewTimeoutMs: 900, heartbeatTtlMs: 5000 }))),
  );
  assertProblems(
    t,
    error,
    [
      {
        path: 'timings.leaseTtlMs',
        value: 2000,
        expected: /= 2470 ms \(.*timing relation.*here 1000 \+ 250 \+ 900 \+ 300 \+ 20\)/,
      },
      { path: 'timings.renewIntervalMs', value: 200, expected: /\(here 200 \+ 900 = 1100 ms\)$/ },
    ],
    { only: true },
  );
  t.true(error.problems.every((problem) => problem.valueIs === 'default'));
  t.true(error.message.includes('  timings.leaseTtlMs: 2000 (default): expected at least'), error.message);
  t.false(error.message.includes('missing'), error.message);

  // Without a timings block at all, the defaults are shown the same way.
  const noBlock = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.resources = [{ id: 'a', kind: 'ocf', placement: 'leader' }]))),
  );
  t.true(noBlock.message.includes('  resources[0].agent: missing: expected agent'), noBlock.message);
});

test('a bad parameter name says what a parameter name is', (t) => {
  const error = configErrorFrom(
    t,
    parse(
      definitionWith(
        (definition) => (definition.resources = [processResource('a', { params: { 'bad-name': 'x', ok_1: 'y' } })]),
      ),
    ),
  );
  assertProblems(t, error, [{ path: 'resources[0].params.bad-name', value: 'bad-name', expected: /parameter name/ }], {
    only: true,
  });
});

test('a fraction where a whole number belongs does not hide the other checks', (t) => {
  // Zod's .int() aborts every refinement around it, even those with `when`; the schema uses a plain refinement.
  const definition = definitionWith((d) => {
    d.timings = { leaseTtlMs: 1000, rankDelayMs: 1.5 };
    d.resources = [
      { id: 'a', kind: 'ocf', placement: 'leader', migrationThreshold: 2.5 },
      processResource('a', { timeouts: { stopMs: 0.5 } }),
    ];
  });
  const error = configErrorFrom(t, parse(definition));
  assertProblems(
    t,
    error,
    [
      { path: 'timings.rankDelayMs', value: 1.5, expected: /^whole milliseconds$/ },
      { path: 'timings.leaseTtlMs', value: 1000, expected: /= 1760 ms/ },
      { path: 'resources[0].migrationThreshold', value: 2.5, expected: /whole number of failures/ },
      { path: 'resources[0].agent', value: undefined, expected: /required for kind ocf/ },
      { path: 'resources[1].timeouts.stopMs', value: 0.5, expected: /^whole milliseconds$/ },
      { path: 'resources[1].id', value: 'a', expected: /used only once/ },
    ],
    { only: true },
  );
});

test('a timing that is invalid on its own is left out of the relations', (t) => {
  const error = configErrorFrom(t, parse(definitionWith((definition) => (definition.timings = { leaseTtlMs: -5 }))));
  assertProblems(t, error, [{ path: 'timings.leaseTtlMs', value: -5, expected: /positive number of milliseconds/ }], {
    only: true,
  });
});
