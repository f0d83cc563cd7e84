import { fileURLToPath } from 'node:url';
import type { ResourceDefinition } from '../config/schema.js';
import type { CommandRunner } from './command.js';
import { OcfDriver } from './ocf-driver.js';
import { ProcessDriver, type ProcessDriverOptions } from './process-driver.js';
import { SystemdDriver } from './systemd-driver.js';
import type { ResourceDriver } from './types.js';

/**
 * The repository's resource-agents/ folder (our OCF agents), found from this module. The agents are not copied into
 * dist/: from dist/src/resources/ the root is three levels up, from src/resources/ two.
 */
export const BUNDLED_AGENTS_DIR = fileURLToPath(
  new URL(
    import.meta.url.includes('/dist/src/') ? '../../../resource-agents' : '../../resource-agents',
    import.meta.url,
  ),
);

export interface DriverOptions {
  /** Runs short commands (OCF actions, systemctl); tests inject one. */
  runner?: CommandRunner;
  process?: ProcessDriverOptions;
}

/** The driver for a resource's kind. */
export function createDriver(resource: ResourceDefinition, options: DriverOptions = {}): ResourceDriver {
  switch (resource.kind) {
    case 'ocf':
      return new OcfDriver(resource, options.runner);
    case 'process':
      return new ProcessDriver(resource, options.process);
    case 'systemd':
      return new SystemdDriver(resource, options.runner);
  }
}
