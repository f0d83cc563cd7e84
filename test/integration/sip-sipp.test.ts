import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { FIXTURES } from '../fixtures/sip/fixtures.js';
import { ProxyProcess } from '../fixtures/sip/proxy-process.js';

// SIPp (Debian's sip-tester) as a client: OPTIONS over UDP and TCP, IPv4 and IPv6, each answered 200 by a running
// stg-sip-proxy. SIPp exits 0 only when every call of the scenario succeeded.

let proxy: ProxyProcess;
let workDir: string;

test.before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'stg-sipp-'));
  proxy = await ProxyProcess.start({
    listen: [
      { transport: 'udp', address: '127.0.0.1', port: 0 },
      { transport: 'tcp', address: '127.0.0.1', port: 0 },
      { transport: 'udp', address: '::1', port: 0 },
      { transport: 'tcp', address: '::1', port: 0 },
    ],
  });
});

test.after.always(async () => {
  await proxy?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const runs = [
  { transport: 'udp', family: 4, flag: 'u1' },
  { transport: 'tcp', family: 4, flag: 't1' },
  { transport: 'udp', family: 6, flag: 'u1' },
  { transport: 'tcp', family: 6, flag: 't1' },
] as const;

for (const run of runs) {
  test.serial(
    `SIPp OPTIONS over ${run.transport.toUpperCase()} IPv${run.family}: 20 calls, all answered 200`,
    async (t) => {
      const { port } = proxy.listener(run.transport, run.family);
      const local = run.family === 4 ? '127.0.0.1' : '::1';
      const remote = run.family === 4 ? `127.0.0.1:${port}` : `[::1]:${port}`;
      const sipp = execa(
        'sipp',
        [
          '-sf',
          `${FIXTURES}sipp/options.xml`,
          '-t',
          run.flag,
          '-i',
          local,
          '-p',
          '0',
          '-m',
          '20',
          '-r',
          '50',
          '-timeout',
          '20s',
          '-timeout_error',
          '-nostdin',
          remote,
        ],
        { cwd: workDir, timeout: 30_000, reject: false },
      );
      t.teardown(() => {
        if (sipp.exitCode === null) sipp.kill('SIGKILL');
      });
      const result = await sipp;
      t.is(result.exitCode, 0, `${result.stdout.slice(-1500)}\n${result.stderr}`);
      t.regex(result.stdout, /Successful call\s+\|\s+0\s+\|\s+20\s/);
      t.regex(result.stdout, /Failed call\s+\|\s+0\s+\|\s+0\s/);
    },
  );
}
