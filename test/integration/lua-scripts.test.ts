import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisServer } from '../../src/local/redis-server.js';
import { SCRIPTS } from '../../src/store/scripts.js';

test('every Lua script loads into a real redis-server', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stg-lua-'));
  const server = await RedisServer.start({ dir });
  const client = new Redis({ host: server.host, port: server.port });
  t.teardown(async () => {
    client.disconnect();
    await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  t.true(SCRIPTS.length >= 7);
  for (const script of SCRIPTS) {
    const sha = (await client.script('LOAD', script.lua)) as string;
    t.regex(sha, /^[0-9a-f]{40}$/, script.name);
    t.regex(script.lua, /^--\[\[\n[\s\S]*Input:[\s\S]*Output/, `${script.name} opens with its contract`);
  }
});
