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

test('unknown (misspelt) key: names the key that was found', (t) => {
  const error = configErrorFrom(t, parse(definitionWith((definition) => (definition.timings = { leaseTtl: 2000 }))));
  assertProblems(t, error, [{ path: 'timings', value: { leaseTtl: 2000 }, expected: /unknown key.*leaseTtl\b/ }], {
    only: true,
  });
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
          /^at least kernelLifetimeS\*1000 \+ 250 \+ renewTimeoutMs \+ pauseAllowanceMs \+ clockDrift\*leaseTtlMs = 1760 ms \(the timing relation of ARCHITECTURE\.md\)$/,
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
        expected: /^renewIntervalMs \+ renewTimeoutMs at most half of leaseTtlMs \(1000 ms\)/,
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
  // The expectation text is the known bug below; the path already names the key.
  assertProblems(t, error, [{ path: 'resources[0].params.bad-name', expected: /./ }], { only: true });
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
      { path: 'timings', expected: /unknown key.*rankDelay\b/ },
      { path: 'timings.leaseTtlMs', value: 1000, expected: /timing relation/ },
      { path: 'resources[0].agent', value: undefined, expected: /required for kind ocf/ },
      { path: 'resources[1].after[0]', value: 'bind', expected: /the id of another resource/ },
      { path: 'resources[2].id', value: 'dns', expected: /used only once/ },
    ],
    { only: true },
  );
});

test('the definition file: YAML syntax error names that file and the line', (t) => {
  const text = 'cluster: demo\nservice:\n  name: "sips.example.es\n';
  const path = writeConfig(t, validNode(), text);
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  t.is(error.source, join(path, '..', 'cluster.yaml'));
  t.true(error.problems.length >= 1);
  t.true(
    error.problems.every(
      (problem) => /^line \d+, column \d+$/.test(problem.path) && /valid YAML/.test(problem.expected),
    ),
    error.message,
  );
  t.true(
    error.problems.some((problem) => /^line [34],/.test(problem.path)),
    `the unclosed quote is reported at line 3 or 4:\n${error.message}`,
  );
});

test('the definition file: problems name that file', (t) => {
  const path = writeConfig(
    t,
    validNode(),
    definitionWith((definition) => (definition.timings = { leaseTtlMs: 1000 })),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  t.is(error.source, join(path, '..', 'cluster.yaml'));
  assertProblems(t, error, [{ path: 'timings.leaseTtlMs', value: 1000, expected: /timing relation/ }], { only: true });
});

test('the definition file unreadable: names it and the reason', (t) => {
  const dir = writeFixture(t, { 'node.yaml': { ...validNode(), definitionFile: 'absent.yaml' } });
  const error = configErrorFrom(t, () => loadAgentConfig(join(dir, 'node.yaml')));
  t.is(error.source, join(dir, 'absent.yaml'));
  assertProblems(t, error, [{ path: '', value: undefined, expected: /readable YAML file \(ENOENT\)/ }], { only: true });
});

/*
 * Known bugs in src/config (reported, not yet fixed). `test.failing` passes while the bug is there; once it is
 * fixed AVA reports these as unexpectedly passing: turn them into plain `test` then.
 */

test.failing('known bug: a type error elsewhere must not hide the cross-resource checks', (t) => {
  // service.name of the wrong type aborts the definition-level superRefine (zod skips refinements after a
  // non-continuable issue), so the duplicate id, the unknown `after` and the cycle go unreported.
  const definition = definitionWith((d) => {
    d.service = { name: 5 };
    d.resources = [
      processResource('a', { after: ['b', 'x'] }),
      processResource('b', { after: ['a'] }),
      processResource('a'),
    ];
  });
  const error = configErrorFrom(t, parse(definition));
  assertProblems(t, error, [
    { path: 'service.name', value: 5, expected: /string/ },
    { path: 'resources[2].id', value: 'a', expected: /used only once/ },
    { path: 'resources[0].after[1]', value: 'x', expected: /another resource/ },
    { path: 'resources', expected: /cycle/ },
  ]);
});

test.failing('known bug: problems of the node file and of its definition are reported together', (t) => {
  // loadAgentConfig's contract: "Throws one ConfigError listing every problem of both files".
  const path = writeConfig(
    t,
    { ...validNode(), node: { id: 'stg1', address: 'nope' } },
    definitionWith((definition) => (definition.timings = { leaseTtlMs: 1000 })),
  );
  const error = configErrorFrom(t, () => loadAgentConfig(path));
  t.true(
    error.problems.some((problem) => problem.path.endsWith('node.address')),
    error.message,
  );
  t.true(
    error.problems.some((problem) => problem.path.endsWith('timings.leaseTtlMs')),
    error.message,
  );
});

test.failing('known bug: a VIP prefix length longer than the address is refused', (t) => {
  const error = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.service = { name: 'sips.example.es', vip: '198.51.100.10/99' }))),
  );
  assertProblems(t, error, [{ path: 'service.vip', value: '198.51.100.10/99', expected: /prefix/ }]);
});

test.failing('known bug: a relation problem shows the effective (defaulted) value, not "missing"', (t) => {
  // Only renewTimeoutMs is written; leaseTtlMs is the default 2000, but the problem reports it as missing.
  const error = configErrorFrom(
    t,
    parse(definitionWith((definition) => (definition.timings = { renewTimeoutMs: 900, heartbeatTtlMs: 5000 }))),
  );
  assertProblems(t, error, [{ path: 'timings.leaseTtlMs', value: 2000, expected: /timing relation/ }]);
});

test.failing('known bug: a bad parameter name says what a parameter name is', (t) => {
  // zod reports record keys as code "invalid_key" with the key's own issues nested; problems.ts shows only the
  // outer "Invalid key in record" and the parameter's value instead of its name.
  const error = configErrorFrom(
    t,
    parse(
      definitionWith((definition) => (definition.resources = [processResource('a', { params: { 'bad-name': 'x' } })])),
    ),
  );
  assertProblems(t, error, [{ path: 'resources[0].params.bad-name', value: 'bad-name', expected: /parameter name/ }]);
});
