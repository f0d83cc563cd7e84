import type { ResourceDefinition } from '../config/schema.js';

/**
 * Resources in start order: each after everything it depends on (`after`). Stop order is the reverse. The
 * configuration check guarantees there is no cycle; ties keep the definition's order.
 */
export function startOrder(resources: readonly ResourceDefinition[]): ResourceDefinition[] {
  const byId = new Map(resources.map((resource) => [resource.id, resource]));
  const ordered: ResourceDefinition[] = [];
  const placed = new Set<string>();
  const visit = (resource: ResourceDefinition) => {
    if (placed.has(resource.id)) return;
    placed.add(resource.id);
    for (const dependency of resource.after) {
      const found = byId.get(dependency);
      if (found) visit(found);
    }
    ordered.push(resource);
  };
  resources.forEach(visit);
  return ordered;
}
