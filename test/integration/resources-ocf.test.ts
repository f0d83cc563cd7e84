import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { ResourceDefinition } from '../../src/config/schema.js';
import { readDummyJournal } from '../helpers/dummy-journal.js';
import { OcfDriver } from '../../src/resources/ocf-driver.js';
import type { OperationResult, ResourceContext } from '../../src/resources/types.js';
import { isAlive, killIfAlive, resource, temporaryDir, testContext } from '../unit/resources/fixture.js';
import { waitFor } from '../helpers/wait.js';

const CLUSTERLABS_DUMMY = '/usr/lib/ocf/resource.d/heartbeat/Dummy';

/** Our dummy with its state and journal in a temporary folder. */
function dummy(t: ExecutionContext, fields: Partial<ResourceDefinition> = {}) {
  const dir = temporaryDir(t);
  const journal = join(dir, 'journal');
  const state = join(dir, 'state', 'dummy.state');
  const definition = resource({ id: 'dummy', kind: 'ocf', agent: 'dummy', params: { state, journal }, ...fields });
  return { driver: new OcfDriver(definition), journal, state, dir };
}

/** A one-off agent script in a temporary folder. */
function scriptAgent(t: ExecutionContext, body: string): string {
  const path = join(temporaryDir(t), 'agent');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** ocf-tester's sequence: monitor=7, start, monitor=0, start again, stop, stop again, monitor=7. */
async function ocfTesterSequence(t: ExecutionContext, driver: OcfDriver, context: ResourceContext) {
  const steps: [string, () => Promise<OperationResult>, number][] = [
    ['monitor a stopped resource', () => driver.monitor(context), 7],
    ['start', () => driver.start(context), 0],
    ['monitor a started resource', () => driver.monitor(context), 0],
    ['start a started resource', () => driver.start(context), 0],
    ['stop', () => driver.stop(context), 0],
    ['stop a stopped resource', () => driver.stop(context), 0],
    ['monitor a stopped resource again', () => driver.monitor(context), 7],
  ];
  for (const [what, run, expected] of steps) {
    const result = await run();
    t.is(result.rc, expected, `${what}: ${result.rcName} ${result.reason}`);
    t.false(result.timedOut);
  }
}

/** Well-formed XML as far as an agent's meta-data goes: balanced tags, quoted attributes, no stray '<'. */
function wellFormed(xml: string): string | undefined {
  const stack: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>/, '').replace(/<!DOCTYPE[^>]*>/, '');
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/g;
  let last = 0;
  for (let match = tag.exec(body); match; match = tag.exec(body)) {
    if (body.slice(last, match.index).includes('<')) return `stray '<' before offset ${match.index}`;
    last = tag.lastIndex;
    const [, closing, name, , selfClosing] = match;
    if (closing) {
      if (stack.pop() !== name) return `</${name}> closes nothing open`;
    } else if (!selfClosing) stack.push(name!);
  }
  if (body.slice(last).includes('<')) return 'stray < at the end';
  return stack.length ? `unclosed <${stack.join('>, <')}>` : undefined;
}

test('the dummy passes the ocf-tester sequence through the OCF driver', async (t) => {
  const { driver } = dummy(t);
  await ocfTesterSequence(t, driver, testContext(t));
});

test('the dummy journals every action: wall time, node, term, action, exit code', async (t) => {
  const { driver, journal } = dummy(t);
  const before = Date.now();
  await driver.monitor(testContext(t, { node: 'stg2' }));
  await driver.start(testContext(t, { node: 'stg2', term: 7 }));
  await driver.stop(testContext(t, { node: 'stg2', term: 7 }));
  const entries = readDummyJournal(journal);
  t.deepEqual(
    entries.map(({ node, term, action, rc }) => [node, term, action, rc]),
    [
      ['stg2', undefined, 'monitor', 7],
      ['stg2', 7, 'start', 0],
      ['stg2', 7, 'stop', 0],
    ],
  );
  for (const entry of entries) t.true(entry.wallMs >= before - 1000 && entry.wallMs <= Date.now() + 1000);
  t.regex(readFileSync(journal, 'utf8').split('\n')[0]!, /^\d{13} stg2 - monitor 7$/);
});

test('OCF_RESKEY parameters reach the agent: the state file is where the parameter says', async (t) => {
  const { driver, state } = dummy(t);
  t.false(existsSync(state));
  t.is((await driver.start(testContext(t))).rc, 0);
  t.true(existsSync(state), 'the state folder was made and the file written');
  t.is((await driver.stop(testContext(t))).rc, 0);
  t.false(existsSync(state));
});

test('meta-data is well-formed XML naming the parameters state and journal', async (t) => {
  const { driver } = dummy(t);
  const { result, xml } = await driver.metaData(testContext(t));
  t.is(result.rc, 0);
  t.is(wellFormed(xml), undefined);
  t.regex(xml, /<resource-agent name="dummy"/);
  t.regex(xml, /<parameter name="state"/);
  t.regex(xml, /<parameter name="journal"/);
  for (const action of ['start', 'stop', 'monitor', 'meta-data', 'validate-all']) {
    t.regex(xml, new RegExp(`<action name="${action}"`));
  }
  t.is(wellFormed('<a><b></a>'), '</a> closes nothing open', 'the check itself catches bad XML');
});

test("validate-all: 0 when the state folder can be made, 6 with the agent's reason when not", async (t) => {
  const good = dummy(t);
  t.like(await good.driver.validate(testContext(t)), { operation: 'validate-all', rc: 0 });

  const blocker = join(good.dir, 'a-file');
  writeFileSync(blocker, '');
  const bad = dummy(t, { params: { state: join(blocker, 'sub', 'dummy.state') } });
  const context = testContext(t);
  const result = await bad.driver.validate(context);
  t.like(result, { rc: 6, rcName: 'OCF_ERR_CONFIGURED' });
  t.regex(result.reason, /^state folder .*a-file\/sub .*cannot be created or written$/);
  t.like(await bad.driver.start(context), { rc: 6 }, 'start validates first');
  const warning = context.lines.find((line) => line.level === 40 && line.operation === 'validate-all');
  t.like(warning, { rc: 6, rcName: 'OCF_ERR_CONFIGURED', reason: result.reason }, 'the failure is a warning');
});

test('a monitor failure has its rc name and ocf-exit-reason', async (t) => {
  const { driver, state } = dummy(t);
  await driver.start(testContext(t));
  writeFileSync(state, 'failed\n');
  t.like(await driver.monitor(testContext(t)), {
    rc: 1,
    rcName: 'OCF_ERR_GENERIC',
    reason: `state file ${state} says failed`,
  });
  t.is((await driver.stop(testContext(t))).rc, 0, 'stop cleans a failed resource');
  t.is((await driver.monitor(testContext(t))).rc, 7);
});

test('an unknown action code gets "rc N", and the last exit reason wins', async (t) => {
  const agent = scriptAgent(
    t,
    'echo "ocf-exit-reason:first" >&2; echo "said on stdout"; echo "ocf-exit-reason:second" >&2; exit 42',
  );
  const context = testContext(t);
  const result = await new OcfDriver(resource({ id: 'odd', kind: 'ocf', agent })).start(context);
  t.like(result, { rc: 42, rcName: 'rc 42', reason: 'second', timedOut: false });
  const said = context.lines.filter((line) => line.level === 20).map((line) => [line.stream, line.msg]);
  t.deepEqual(said.slice(0, 3), [
    ['stdout', 'said on stdout'],
    ['stderr', 'ocf-exit-reason:first'],
    ['stderr', 'ocf-exit-reason:second'],
  ]);
  const warning = context.lines.find((line) => line.level === 40);
  t.like(warning, { resource: 'odd', operation: 'start', rc: 42, reason: 'second' });
  t.deepEqual((warning?.output as string[]).slice(0, 1), ['stdout: said on stdout'], 'the output is in the warning');
});

test('an agent past its timeout is killed with its process group: a failure, timedOut', async (t) => {
  const childPidFile = join(temporaryDir(t), 'child.pid');
  const agent = scriptAgent(t, `sleep 60 & echo $! > ${childPidFile}; wait`);
  const childPid = () => (existsSync(childPidFile) ? Number(readFileSync(childPidFile, 'utf8')) : undefined);
  t.teardown(() => killIfAlive(childPid()));
  const driver = new OcfDriver(
    resource({ id: 'slow', kind: 'ocf', agent, timeouts: { startMs: 300, stopMs: 300, monitorMs: 300 } }),
  );
  const result = await driver.start(testContext(t));
  t.like(result, { rc: 1, rcName: 'OCF_ERR_GENERIC', timedOut: true, reason: 'timed out after 300 ms' });
  t.true(result.durationMs >= 300 && result.durationMs < 5000, `took ${result.durationMs} ms`);
  const child = childPid();
  t.truthy(child, 'the agent had started its child');
  await waitFor("the agent's child (sleep) to die with its group", () => !isAlive(child!), { timeoutMs: 2000 });
});

test('a missing agent is not installed (rc 5) with the path in the reason', async (t) => {
  const result = await new OcfDriver(resource({ id: 'gone', kind: 'ocf', agent: 'no-such-agent' })).monitor(
    testContext(t, { resourceAgentsDir: '/nonexistent/agents' }),
  );
  t.like(result, {
    rc: 5,
    rcName: 'OCF_ERR_INSTALLED',
    reason: 'cannot execute /nonexistent/agents/no-such-agent: ENOENT',
    timedOut: false,
  });
});

// ops/bootstrap.sh installs Debian's resource-agents: a missing package is a failure here, not a skip.
const clusterLabs = test;
test("Debian's resource-agents is installed (ops/bootstrap.sh)", (t) => {
  t.true(existsSync(CLUSTERLABS_DUMMY), `${CLUSTERLABS_DUMMY} is missing: run ops/bootstrap.sh`);
});

clusterLabs("ClusterLabs' Dummy (Debian resource-agents) passes the same sequence", async (t) => {
  const state = join(temporaryDir(t), 'Dummy.state');
  const driver = new OcfDriver(
    resource({ id: 'cl-dummy', kind: 'ocf', agent: 'ocf:heartbeat:Dummy', params: { state } }),
  );
  const context = testContext(t);
  await ocfTesterSequence(t, driver, context);
  t.like(await driver.validate(context), { rc: 0 });
  const { result, xml } = await driver.metaData(context);
  t.is(result.rc, 0);
  t.is(wellFormed(xml), undefined);
  t.regex(xml, /<parameter name="state"/);
});

clusterLabs("ClusterLabs' Dummy: its exit reason comes through ocf-shellfuncs, a probe is told apart", async (t) => {
  const state = join(temporaryDir(t), 'Dummy.state');
  const driver = new OcfDriver(resource({ id: 'cl-dummy', kind: 'ocf', agent: CLUSTERLABS_DUMMY, params: { state } }));
  t.like(await driver.monitor(testContext(t)), { rc: 7, reason: 'No process state file found' });
  t.like(await driver.monitor(testContext(t, { probe: true })), { rc: 7, reason: '' }, 'a probe says nothing');
});
