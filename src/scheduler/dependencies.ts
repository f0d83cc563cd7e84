import type { ResourceDefinition } from '../config/schema.js';

/**
 * The resources in dependency order: each after everything it names in `after`, otherwise in definition order (so
 * the order, and every output built from it, does not depend on anything but the definition).
 *
 * The configuration refuses cycles; should one get here anyway, the resource that closes it is placed before its
 * dependency is known and so finds it "not placed": a cycle stops its resources instead of looping.
 * A dependency naming no resource (also refused by the configuration) is simply never placed.
 */
export function dependencyOrder(resources: readonly ResourceDefinition[]): ResourceDefinition[] {
  const byId = new Map(resources.map((resource) => [resource.id, resource]));
  const state = new Map<string, 'visiting' | 'done'>();
  const ordered: ResourceDefinition[] = [];
  const visit = (resource: ResourceDefinition) => {
    if (state.has(resource.id)) return;
    state.set(resource.id, 'visiting');
    for (const dependency of resource.after) {
      const next = byId.get(dependency);
      if (next) visit(next);
    }
    state.set(resource.id, 'done');
    ordered.push(resource);
  };
  resources.forEach(visit);
  return ordered;
}

/**
 * For each resource that some `leader` resource needs (directly or through other dependencies), the ids of the
 * leader resources that need it, in definition order. A node where such a resource failed too often cannot run
 * those leader resources, so it must not lead either.
 */
export function neededByLeaderResources(resources: readonly ResourceDefinition[]): Map<string, string[]> {
  const byId = new Map(resources.map((resource) => [resource.id, resource]));
  const neededBy = new Map<string, string[]>();
  for (const leaderResource of resources.filter((resource) => resource.placement === 'leader')) {
    const seen = new Set<string>();
    const walk = (resource: ResourceDefinition) => {
      for (const dependency of resource.after) {
        const next = byId.get(dependency);
        if (seen.has(dependency) || !next) continue; // `seen` also ends a cycle the configuration should have refused
        seen.add(dependency);
        neededBy.set(dependency, [...(neededBy.get(dependency) ?? []), leaderResource.id]);
        walk(next);
      }
    };
    walk(leaderResource);
  }
  return neededBy;
}
