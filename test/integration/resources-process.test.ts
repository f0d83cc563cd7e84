import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { ResourceDefinition } from '../../src/config/schema.js';
import { formatPidfile, parsePidfile } from '../../src/resources/pidfile.js';
import { processPaths, ProcessDriver, type ProcessDriverOptions } from '../../src/resources/process-driver.js';
import { readProcStat } from '../../src/resources/proc.js';
import type { OperationResult, ResourceContext } from '../../src/resources/types.js';
import { waitFor } from '../helpers/wait.js';
import { isAlive, killIfAlive, resource, temporaryDir, testContext } from '../unit/resources/fixture.js';

/** A real daemon: node, saying it is ready, then idling until signalled. */
const DAEMON = [process.execPath, '-e', "console.log('ready'); setInterval(() => {}, 1000)"];

function daemon(fields: Partial<ResourceDefinition> = {}): ResourceDefinition {
  return resource({ id: 'daemon', kind: 'process', command: DAEMON, ...fields });
}

/** The pidfile's record for a resource, or undefined. */
function pidRecord(context: ResourceContext, id: string) {
  const { pidfile } = processPaths(context.stateDir, id);
  return existsSync(pidfile) ? parsePidfile(readFileSync(pidfile, 'utf8')) : undefined;
}

/** Starts a process resource and makes sure the test kills its process group, whatever happens. */
async function startOwned(
  t: ExecutionContext,
  driver: ProcessDriver,
  context: ResourceContext,
): Promise<{ result: OperationResult; pid: number }> {
  const result = await driver.start(context);
  const pid = pidRecord(context, driver.resource.id)?.pid;
  t.teardown(() => killIfAlive(pid, true));
  t.is(result.rc, 0, `start: ${result.rcName} ${result.reason}`);
  return { result, pid: pid ?? -1 };
}

function logOf(context: ResourceContext, id: string): string {
  const { logFile } = processPaths(context.stateDir, id);
  return existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
}

test('a process resource passes the ocf-tester sequence; its log and pidfile are written', async (t) => {
  const driver = new ProcessDriver(daemon());
  const context = testContext(t);
  t.is((await driver.monitor(context)).rc, 7, 'monitor of a stopped resource');
  const { pid } = await startOwned(t, driver, context);
  t.is((await driver.monitor(context)).rc, 0, 'monitor of a started resource');
  t.is((await driver.start(context)).rc, 0, 'start of a started resource');
  t.is(pidRecord(context, 'daemon')?.pid, pid, 'the second start started nothing');
  t.is(pidRecord(context, 'daemon')?.startTime, readProcStat(pid)?.startTime, 'the pidfile has the start time');
  await waitFor('the daemon to write its log', () => logOf(context, 'daemon').includes('ready\n'));
  t.is((await driver.stop(context)).rc, 0, 'stop');
  t.false(isAlive(pid));
  t.false(existsSync(processPaths(context.stateDir, 'daemon').pidfile), 'stop removed the pidfile');
  t.is((await driver.stop(context)).rc, 0, 'stop of a stopped resource');
  t.is((await driver.monitor(context)).rc, 7, 'monitor of a stopped resource again');
});

test('a new driver on the same state folder adopts the running process: same PID, no restart', async (t) => {
  const context = testContext(t);
  const { pid } = await startOwned(t, new ProcessDriver(daemon()), context);
  const restarted = new ProcessDriver(daemon());
  t.like(await restarted.monitor(context), { rc: 0 });
  t.like(await restarted.start(context), { rc: 0 });
  t.is(pidRecord(context, 'daemon')?.pid, pid);
  t.true(isAlive(pid));
  t.is(logOf(context, 'daemon').match(/starting/g)?.length, 1, 'one start in the log');
});

test('the process outlives its agent killed with SIGKILL, and the next agent adopts it', async (t) => {
  const context = testContext(t);
  const definition = daemon();
  // A stand-in agent in its own Node process: it starts the resource, says so, and waits to be killed.
  const script = join(temporaryDir(t), 'agent.mjs');
  const driverUrl = new URL('../../src/resources/process-driver.js', import.meta.url).href;
  writeFileSync(
    script,
    `import { ProcessDriver } from ${JSON.stringify(driverUrl)};
const log = { child: () => log, debug() {}, info() {}, warn() {} };
const [definition, stateDir] = [JSON.parse(process.argv[2]), process.argv[3]];
const result = await new ProcessDriver(definition).start({ node: 'stg1', term: 3, stateDir, resourceAgentsDir: '/', log });
console.log(JSON.stringify(result));
setInterval(() => {}, 1000);
`,
  );
  const agent = spawn(process.execPath, [script, JSON.stringify(definition), context.stateDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => killIfAlive(agent.pid));
  let said = '';
  agent.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
  await waitFor('the stand-in agent to start the resource', () => said.includes('\n'));
  t.like(JSON.parse(said) as OperationResult, { rc: 0 });
  const pid = pidRecord(context, 'daemon')!.pid;
  t.teardown(() => killIfAlive(pid, true));

  const exited = new Promise((resolve) => agent.once('exit', resolve));
  agent.kill('SIGKILL');
  await exited;
  t.true(isAlive(pid), 'the process survived its agent');
  const next = new ProcessDriver(definition);
  t.like(await next.monitor(context), { rc: 0 });
  t.like(await next.start(context), { rc: 0 });
  t.is(pidRecord(context, 'daemon')?.pid, pid, 'adopted, not restarted');
  t.is((await next.stop(context)).rc, 0);
  t.false(isAlive(pid));
});

test('a crash is seen: monitor says the process exited until a stop cleans up', async (t) => {
  const driver = new ProcessDriver(daemon());
  const context = testContext(t);
  const { pid } = await startOwned(t, driver, context);
  process.kill(pid, 'SIGKILL');
  const failed = await waitFor('monitor to see the crash', async () => {
    const result = await driver.monitor(context);
    return result.rc !== 0 && result;
  });
  t.like(failed, { rc: 1, rcName: 'OCF_ERR_GENERIC', reason: `process ${pid} exited` });
  t.like(await driver.monitor(context), { rc: 1 }, 'the pidfile stays: the failure is not lost');
  // Once Node has reaped it (monitor can see the zombie first), the agent that started it logs the crash.
  await waitFor('the crash in the log', () =>
    context.lines.some((line) => line.level === 40 && line.msg === `process ${pid} exited (SIGKILL) unasked`),
  );
  t.like(await driver.stop(context), { rc: 0 });
  t.like(await driver.monitor(context), { rc: 7 });
});

test('stop ends the whole process group: a child of the process dies too', async (t) => {
  const dir = temporaryDir(t);
  const childPidFile = join(dir, 'child.pid');
  const driver = new ProcessDriver(daemon({ command: ['sh', '-c', `sleep 1000 & echo $! > ${childPidFile}; wait`] }));
  const context = testContext(t);
  await startOwned(t, driver, context);
  const child = await waitFor('the child to be started', () => {
    const text = existsSync(childPidFile) ? readFileSync(childPidFile, 'utf8').trim() : '';
    return text ? Number(text) : undefined;
  });
  t.teardown(() => killIfAlive(child));
  t.true(isAlive(child));
  t.like(await driver.stop(context), { rc: 0 });
  t.false(isAlive(child), 'the child is gone with its parent');
});

test('a process that ignores SIGTERM is killed when the grace is over', async (t) => {
  const driver = new ProcessDriver(
    daemon({
      command: ['sh', '-c', 'trap "" TERM; sleep 1000 & wait'],
      timeouts: { startMs: 20_000, stopMs: 800, monitorMs: 10_000 },
    }),
  );
  const context = testContext(t);
  const { pid } = await startOwned(t, driver, context);
  const result = await driver.stop(context);
  t.like(result, { rc: 0 });
  t.true(result.durationMs >= 550, `stop waited for the grace (${result.durationMs} ms)`);
  t.false(isAlive(pid));
});

test('a pidfile naming another live process (PID reused) is never taken for ours', async (t) => {
  const driver = new ProcessDriver(daemon());
  const context = testContext(t);
  const { dir, pidfile } = processPaths(context.stateDir, 'daemon');
  const own = readProcStat(process.pid)!;
  mkdirSync(dir, { recursive: true });
  writeFileSync(pidfile, formatPidfile({ pid: process.pid, startTime: String(Number(own.startTime) + 1) }));

  t.like(await driver.monitor(context), {
    rc: 1,
    reason: `process ${process.pid} exited (its PID is another process's now)`,
  });
  t.like(await driver.stop(context), { rc: 0 }, 'stop signals nothing and succeeds');
  t.true(isAlive(process.pid), 'the test itself lives');
  t.false(existsSync(pidfile));

  writeFileSync(pidfile, formatPidfile({ pid: process.pid, startTime: String(Number(own.startTime) + 1) }));
  const { pid } = await startOwned(t, driver, context);
  t.not(pid, process.pid, 'start ran a process of its own');
});

test('a process that exits at once fails its start with its exit code and last log lines', async (t) => {
  const driver = new ProcessDriver(
    daemon({ command: ['sh', '-c', 'echo "listening failed: port 5556 in use" >&2; exit 3'] }),
    // Long enough that a loaded machine cannot make the exit look late.
    { settleMs: 5000 } satisfies ProcessDriverOptions,
  );
  const context = testContext(t);
  const result = await driver.start(context);
  t.like(result, { rc: 1, rcName: 'OCF_ERR_GENERIC' });
  t.regex(result.reason, /^process \d+ exited with code 3 at once: listening failed: port 5556 in use$/);
  t.true(result.durationMs < 5000, 'start did not wait the whole settle time');
  t.like(await driver.monitor(context), { rc: 7 }, 'no pidfile is left behind');
  t.regex(logOf(context, 'daemon'), /listening failed/);
});

test('a command that does not exist is not installed (rc 5)', async (t) => {
  const result = await new ProcessDriver(daemon({ command: ['/nonexistent/stg-daemon', '--x'] })).start(testContext(t));
  t.like(result, { rc: 5, rcName: 'OCF_ERR_INSTALLED', reason: 'cannot execute /nonexistent/stg-daemon: ENOENT' });
});

test('params become environment variables of the process', async (t) => {
  const driver = new ProcessDriver(
    daemon({
      command: ['sh', '-c', 'echo "greeting=$GREETING port=$SIP_PORT"; exec sleep 1000'],
      params: { GREETING: 'hello there', SIP_PORT: '5556' },
    }),
  );
  const context = testContext(t);
  await startOwned(t, driver, context);
  await waitFor('the process to log its environment', () =>
    logOf(context, 'daemon').includes('greeting=hello there port=5556'),
  );
  t.is((await driver.stop(context)).rc, 0);
});
