import test from 'ava';
import type { CommandOutcome, CommandRunner } from '../../../src/resources/command.js';
import { createDriver } from '../../../src/resources/driver.js';
import { SystemdDriver } from '../../../src/resources/systemd-driver.js';
import { resource, testContext } from './fixture.js';

const unit = resource({ id: 'web', kind: 'systemd', unit: 'nginx.service' });

/** A runner that answers every call with `outcome` and records the arguments. */
function fakeSystemctl(outcome: Partial<CommandOutcome>) {
  const calls: { file: string; args: readonly string[]; timeoutMs: number }[] = [];
  const runner: CommandRunner = async (file, args, { timeoutMs }) => {
    calls.push({ file, args, timeoutMs });
    return {
      exitCode: 0,
      signal: undefined,
      stdout: '',
      stderr: '',
      timedOut: false,
      spawnError: undefined,
      ...outcome,
    };
  };
  return { runner, calls };
}

async function monitorSays(t: Parameters<typeof testContext>[0], stdout: string, exitCode: number) {
  const { runner, calls } = fakeSystemctl({ stdout: `${stdout}\n`, exitCode });
  const result = await new SystemdDriver(unit, runner).monitor(testContext(t));
  t.deepEqual(calls[0]?.args, ['is-active', 'nginx.service']);
  return result;
}

test('is-active: active is running, inactive cleanly stopped, failed a failure', async (t) => {
  t.like(await monitorSays(t, 'active', 0), { rc: 0, rcName: 'OCF_SUCCESS', reason: '' });
  t.like(await monitorSays(t, 'inactive', 3), { rc: 7, rcName: 'OCF_NOT_RUNNING', reason: '' });
  t.like(await monitorSays(t, 'failed', 3), {
    rc: 1,
    rcName: 'OCF_ERR_GENERIC',
    reason: 'unit nginx.service is failed',
  });
});

test('is-active: a unit on its way up or down, or a state we do not know, is a failure with the state', async (t) => {
  t.like(await monitorSays(t, 'activating', 3), { rc: 1, reason: 'unit nginx.service is activating' });
  t.like(await monitorSays(t, 'deactivating', 3), { rc: 1, reason: 'unit nginx.service is deactivating' });
  t.like(await monitorSays(t, 'maintenance', 3), { rc: 1, reason: 'unit nginx.service is "maintenance"' });
  t.like(await monitorSays(t, 'reloading', 0), { rc: 0 });
});

test('start and stop call systemctl with the unit and their own timeouts', async (t) => {
  const timed = resource({ ...unit, timeouts: { startMs: 1111, stopMs: 2222, monitorMs: 3333 } });
  const { runner, calls } = fakeSystemctl({});
  const driver = new SystemdDriver(timed, runner);
  t.like(await driver.start(testContext(t)), { operation: 'start', rc: 0 });
  t.like(await driver.stop(testContext(t)), { operation: 'stop', rc: 0 });
  t.deepEqual(calls, [
    { file: 'systemctl', args: ['start', 'nginx.service'], timeoutMs: 1111 },
    { file: 'systemctl', args: ['stop', 'nginx.service'], timeoutMs: 2222 },
  ]);
});

test("a failed start carries systemctl's last stderr line; LSB codes 4/5/6 keep their meaning", async (t) => {
  const stderr = 'Job for nginx.service failed because the control process exited with error code.\n';
  t.like(await new SystemdDriver(unit, fakeSystemctl({ exitCode: 1, stderr }).runner).start(testContext(t)), {
    rc: 1,
    reason: 'Job for nginx.service failed because the control process exited with error code.',
  });
  const notFound = fakeSystemctl({
    exitCode: 5,
    stderr: 'Failed to start nginx.service: Unit nginx.service not found.',
  });
  t.like(await new SystemdDriver(unit, notFound.runner).start(testContext(t)), {
    rc: 5,
    rcName: 'OCF_ERR_INSTALLED',
    reason: 'Failed to start nginx.service: Unit nginx.service not found.',
  });
});

test('stopping a unit systemd does not know succeeds (not there is not running)', async (t) => {
  const { runner } = fakeSystemctl({ exitCode: 5, stderr: 'Failed to stop x.service: Unit x.service not loaded.' });
  t.like(await new SystemdDriver(unit, runner).stop(testContext(t)), {
    rc: 0,
    reason: 'unit nginx.service not loaded',
  });
});

test('a systemctl timeout is a failure; no systemctl at all is not installed', async (t) => {
  const slow = fakeSystemctl({ exitCode: undefined, signal: 'SIGKILL', timedOut: true });
  t.like(await new SystemdDriver(unit, slow.runner).monitor(testContext(t)), {
    rc: 1,
    timedOut: true,
    reason: 'timed out after 10000 ms',
  });
  const missing = fakeSystemctl({ exitCode: undefined, spawnError: 'ENOENT' });
  t.like(await new SystemdDriver(unit, missing.runner).start(testContext(t)), {
    rc: 5,
    reason: 'cannot execute systemctl: ENOENT',
  });
});

test('validate asks for the load state: loaded, not-found, anything else', async (t) => {
  const answer = async (stdout: string) => {
    const { runner, calls } = fakeSystemctl({ stdout });
    const result = await new SystemdDriver(unit, runner).validate(testContext(t));
    t.deepEqual(calls[0]?.args, ['show', '--property=LoadState', '--value', 'nginx.service']);
    return result;
  };
  t.like(await answer('loaded\n'), { operation: 'validate-all', rc: 0 });
  t.like(await answer('not-found\n'), { rc: 5, reason: 'unit nginx.service not found' });
  t.like(await answer('masked\n'), { rc: 6, reason: 'unit nginx.service load state is "masked"' });
});

test('createDriver picks the driver by kind and passes the injected runner to systemd', async (t) => {
  const { runner, calls } = fakeSystemctl({ stdout: 'inactive\n', exitCode: 3 });
  const driver = createDriver(unit, { runner });
  t.true(driver instanceof SystemdDriver);
  t.like(await driver.monitor(testContext(t)), { rc: 7 });
  t.is(calls.length, 1);
  t.is(createDriver(resource({ id: 'd', kind: 'ocf', agent: 'dummy' })).constructor.name, 'OcfDriver');
  t.is(createDriver(resource({ id: 'p', kind: 'process', command: ['sleep', '1'] })).constructor.name, 'ProcessDriver');
});

test('a failed monitor is a warning in the log with its reason', async (t) => {
  const context = testContext(t);
  const { runner } = fakeSystemctl({ stdout: 'failed\n', exitCode: 3 });
  await new SystemdDriver(unit, runner).monitor(context);
  const warning = context.lines.find((line) => line.level === 40);
  t.like(warning, { resource: 'web', operation: 'monitor', rc: 1, reason: 'unit nginx.service is failed' });
});
