import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { parseDefinition } from '../../config/load.js';
import { readYaml } from '../../config/yaml-file.js';
import type { ClusterDefinition } from '../../config/schema.js';
import { issueCommand, readCommandResult } from '../../cluster/commands.js';
import { ConfigError } from '../../errors.js';
import { CommandFailed, type Session } from '../session.js';
import { commandBoundMs } from './bounds.js';

/**
 * `clusterctl config apply FILE [--dry-run]`: validates the definition here, shows the change against the one in
 * force, then has the leader write it under its term and waits until every online node runs it. The definition
 * holds no secret (secrets are node-file paths), so the diff shows everything.
 */
export async function configApplyCommand(session: Session, file: string, dryRun: boolean): Promise<string> {
  let definition: ClusterDefinition;
  try {
    definition = parseDefinition(readYaml(file), file);
  } catch (error) {
    if (error instanceof ConfigError) throw new CommandFailed(`refused, nothing applied: ${error.message}`);
    throw error;
  }
  if (definition.cluster !== session.config.cluster) {
    throw new CommandFailed(
      `refused: ${file} is for cluster "${definition.cluster}", this is "${session.config.cluster}"`,
    );
  }
  const stored = await session.plane.readVersioned<ClusterDefinition>(session.plane.keys.definition);
  const before = stored ? stringify(stored.value) : '';
  const after = stringify(definition);
  if (before === after) return `nothing to apply: ${file} equals definition version ${stored?.version}`;
  const label = stored ? `definition version ${stored.version}` : 'no definition';
  process.stdout.write(createTwoFilesPatch(label, file, before, after, '', '', { context: 3 }));
  if (dryRun) return 'dry run: nothing applied';
  const status = await session.status();
  if (!status.leader) throw new CommandFailed('no leader to apply the definition; nothing applied');
  const command = await issueCommand(session.plane, { kind: 'config-apply', definition });
  let version: number | undefined;
  return session.waitFor(
    'the leader to write the definition and every online node to run it',
    async (now) => {
      const result = await readCommandResult(session.plane);
      if (result?.id === command.id && !result.ok) throw new CommandFailed(`the leader refused: ${result.message}`);
      if (result?.id === command.id) version ??= Number(/version (\d+)/.exec(result.message)?.[1]);
      if (version === undefined) return undefined;
      const running = now.nodes.filter((node) => node.state !== 'offline');
      return running.every((node) => node.definitionVersion === version)
        ? `done: definition version ${version} runs on ${running.map((node) => node.id).join(', ')}`
        : undefined;
    },
    await commandBoundMs(session),
  );
}
