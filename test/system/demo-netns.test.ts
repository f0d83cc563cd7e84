import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { waitFor } from '../helpers/wait.js';
import { requireRoot } from './require-root.js';

const DEMO_MAIN = fileURLToPath(new URL('../../src/demo/main.js', import.meta.url));

test.serial('demo --netns: a leader holds the VIP the client reaches; SIGINT removes every namespace', async (t) => {
  requireRoot(t);
  const demo = spawn(process.execPath, [DEMO_MAIN, '--netns', '--nodes', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (demo.exitCode === null) demo.kill('SIGINT');
  });

  await waitFor(
    'the demo showing a leader with the VIP the client reaches',
    () => /leader stg\d term \d+ \| quorum 3\/3 .*\| vip on stg\d \| client -> VIP answers/.test(output),
    { timeoutMs: 30_000, describe: () => output },
  );
  const namespaces = [...output.matchAll(/namespace (\S+)/g)].map((match) => match[1]!);
  t.is(namespaces.length, 4, output);
  t.true(namespaces.every((ns) => existsSync(`/run/netns/${ns}`)));

  demo.kill('SIGINT');
  t.is(await exited, 0, output);
  t.deepEqual(
    namespaces.filter((ns) => existsSync(`/run/netns/${ns}`)),
    [],
    'every namespace of the demo is gone',
  );
  t.regex(output, /SIGINT: stopping every process of the bed/);
});
