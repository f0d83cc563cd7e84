// Lua scripts are read at run time next to the compiled loader, so the build copies them beside it (bullmq's copy:lua).
import { cpSync, mkdirSync } from 'node:fs';

mkdirSync('dist/src/store/lua', { recursive: true });
cpSync('src/store/lua', 'dist/src/store/lua', { recursive: true });
