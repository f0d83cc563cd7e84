import type { ClusterDefinition, ResourceDefinition } from '../config/schema.js';
import { isVip } from '../guard/leadership-record.js';
import type { HeldAddress } from './address-lifetime.js';

const withLifetime = new WeakMap<ClusterDefinition, ClusterDefinition>();

/**
 * The definition as the resource manager runs it: a VIP without its own `lifetime` gets the kernel lifetime of the
 * timings, the one the timing relation was checked with. Memoised per definition, so resources keep their identity.
 */
export function withVipLifetimes(definition: ClusterDefinition): ClusterDefinition {
  let adjusted = withLifetime.get(definition);
  if (!adjusted) {
    const lifetime = String(definition.timings.kernelLifetimeS);
    adjusted = {
      ...definition,
      resources: definition.resources.map((resource) =>
        isVip(resource) && resource.params['lifetime'] === undefined
          ? { ...resource, params: { ...resource.params, lifetime } }
          : resource,
      ),
    };
    withLifetime.set(definition, adjusted);
  }
  return adjusted;
}

export function heldAddress(resource: ResourceDefinition): HeldAddress | undefined {
  const ip = resource.params['ip'];
  const nic = resource.params['nic'];
  return ip && nic ? { ip, nic } : undefined;
}
