import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/*
 * Lua scripts live in ./lua, one command per file named <name>-<numberOfKeys>.lua (bullmq's layout). They are
 * registered on each connection with defineCommand, so ioredis sends EVALSHA and falls back to EVAL once.
 */

export type ScriptName =
  | 'readLease'
  | 'acquireLease'
  | 'renewLease'
  | 'releaseLease'
  | 'fencedWrite'
  | 'heartbeat'
  | 'readNodes'
  | 'versionedSet'
  | 'recordFailure';

type ScriptReply = string | number | null | ScriptReply[];

interface ScriptSource {
  name: ScriptName;
  numberOfKeys: number;
  lua: string;
}

const luaFolder = new URL('./lua/', import.meta.url);

function camelCase(kebab: string): string {
  return kebab.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Reads every script once per process. */
export const SCRIPTS: readonly ScriptSource[] = readdirSync(luaFolder)
  .filter((file) => file.endsWith('.lua'))
  .map((file) => {
    const match = /^(.+)-(\d+)\.lua$/.exec(file);
    if (!match?.[1] || !match[2]) throw new Error(`Lua script ${file} must be named <name>-<numberOfKeys>.lua`);
    return {
      name: camelCase(match[1]) as ScriptName,
      numberOfKeys: Number(match[2]),
      lua: readFileSync(new URL(file, luaFolder), 'utf8'),
    };
  });

export function defineScripts(client: Redis): void {
  for (const script of SCRIPTS)
    client.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
}

/** Runs a script registered by defineScripts; keys first, then arguments, as the script's header lists them. */
export async function runScript(
  client: Redis,
  name: ScriptName,
  keys: string[],
  args: (string | number)[],
): Promise<ScriptReply> {
  const command = (client as unknown as Record<ScriptName, (...input: (string | number)[]) => Promise<ScriptReply>>)[
    name
  ];
  return command.call(client, ...keys, ...args);
}
