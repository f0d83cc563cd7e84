// Lua scripts are read at run time next to their compiled loader, so the build copies every `lua` folder under src/
// beside it (bullmq's copy:lua).
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

for (const entry of readdirSync('src', { recursive: true, withFileTypes: true })) {
  if (!entry.isDirectory() || entry.name !== 'lua') continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join('dist', from), { recursive: true });
}
