import test from 'ava';
import type { CommandOutcome } from '../../../src/resources/command.js';
import { interpret, OcfDriver } from '../../../src/resources/ocf-driver.js';
import { resource, testContext } from './fixture.js';

const ran = (outcome: Partial<CommandOutcome>): CommandOutcome => ({
  exitCode: 0,
  signal: undefined,
  stdout: '',
  stderr: '',
  timedOut: false,
  spawnError: undefined,
  ...outcome,
});

test('the agent exit code is the answer, with its ocf-exit-reason', (t) => {
  t.deepEqual(interpret('/a', ran({ exitCode: 7 }), 1000), { rc: 7, reason: '' });
  t.deepEqual(interpret('/a', ran({ exitCode: 6, stderr: 'ocf-exit-reason:bad ip\n' }), 1000), {
    rc: 6,
    reason: 'bad ip',
  });
});

test('a timeout is a failure whatever the agent said; a kill by a signal too', (t) => {
  const timedOut = ran({ exitCode: undefined, signal: 'SIGKILL', timedOut: true, stderr: 'ocf-exit-reason:x' });
  t.deepEqual(interpret('/a', timedOut, 250), { rc: 1, reason: 'timed out after 250 ms' });
  t.deepEqual(interpret('/a', ran({ exitCode: undefined, signal: 'SIGSEGV' }), 250), {
    rc: 1,
    reason: 'killed by SIGSEGV',
  });
});

test('an agent that cannot run: missing is not installed, not executable lacks permission', (t) => {
  t.deepEqual(interpret('/x/a', ran({ exitCode: undefined, spawnError: 'ENOENT' }), 1), {
    rc: 5,
    reason: 'cannot execute /x/a: ENOENT',
  });
  t.deepEqual(interpret('/x/a', ran({ exitCode: undefined, spawnError: 'EACCES' }), 1), {
    rc: 4,
    reason: 'cannot execute /x/a: EACCES',
  });
});

test('an agent is a path, ocf:<provider>:<type>, or a name under the resource-agents folder', (t) => {
  const context = testContext(t, { resourceAgentsDir: '/opt/agents' });
  const path = (agent: string) => new OcfDriver(resource({ id: 'r', kind: 'ocf', agent })).agentPath(context);
  t.is(path('/usr/local/bin/agent'), '/usr/local/bin/agent');
  t.is(path('ocf:heartbeat:Dummy'), '/usr/lib/ocf/resource.d/heartbeat/Dummy');
  t.is(path('dummy'), '/opt/agents/dummy');
});

test('the agent gets the action, OCF_RESKEY_ parameters, the instance, the timeout and our meta', async (t) => {
  let seen: { file: string; args: readonly string[]; env: Record<string, string> | undefined } | undefined;
  const driver = new OcfDriver(
    resource({
      id: 'vip',
      kind: 'ocf',
      agent: '/agents/IPaddr2',
      params: { ip: '198.51.100.10', cidr_netmask: '24' },
      timeouts: { startMs: 3000, stopMs: 4000, monitorMs: 5000 },
    }),
    async (file, args, { env }) => {
      seen = { file, args, env };
      return ran({});
    },
  );
  await driver.stop(testContext(t, { node: 'stg2', term: 9 }));
  t.is(seen?.file, '/agents/IPaddr2');
  t.deepEqual(seen?.args, ['stop']);
  t.like(seen?.env, {
    OCF_RESKEY_ip: '198.51.100.10',
    OCF_RESKEY_cidr_netmask: '24',
    OCF_RESOURCE_INSTANCE: 'vip',
    OCF_RESOURCE_TYPE: 'IPaddr2',
    OCF_ROOT: '/usr/lib/ocf',
    OCF_RESKEY_CRM_meta_timeout: '4000',
    OCF_RESKEY_CRM_meta_interval: '0',
    STG_NODE: 'stg2',
    STG_TERM: '9',
  });
});

test('a monitor tells the agent its interval; a probe says 0, as Pacemaker does', async (t) => {
  const intervals: (string | undefined)[] = [];
  const driver = new OcfDriver(
    resource({ id: 'r', kind: 'ocf', agent: '/a', monitorIntervalMs: 5000 }),
    async (_f, _a, { env }) => {
      intervals.push(env?.OCF_RESKEY_CRM_meta_interval);
      return ran({ exitCode: 7 });
    },
  );
  await driver.monitor(testContext(t));
  await driver.monitor(testContext(t, { probe: true }));
  t.deepEqual(intervals, ['5000', '0']);
});
