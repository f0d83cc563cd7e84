import { parseDefinition } from '../config/load.js';
import type { ClusterDefinition } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { ControlPlane } from '../store/control-plane.js';

/**
 * The cluster definition this agent runs. It follows the control plane; a definition the agent cannot validate is
 * never acted on: the agent keeps the one it runs, refuses to lead, and says why (ARCHITECTURE.md).
 */
export class DefinitionState {
  private current: ClusterDefinition;
  /** (term, version) of the control-plane definition in use; undefined while running the bootstrap file. */
  private runningVersion: { term: number; version: number } | undefined;
  /** The last (term, version) checked, valid or not, so an invalid one is read once, not on every tick. */
  private checked: { term: number; version: number } | undefined;
  private refusalReason: string | null = null;

  constructor(
    private readonly plane: ControlPlane,
    private readonly bootstrap: ClusterDefinition,
  ) {
    this.current = bootstrap;
  }

  get definition(): ClusterDefinition {
    return this.current;
  }

  get version(): number | null {
    return this.runningVersion?.version ?? null;
  }

  /** Why this agent refuses to lead, or null. */
  get refusal(): string | null {
    return this.refusalReason;
  }

  /** Adopts a newer definition seen on the members, if it validates. */
  async follow(seen: { term: number; version: number } | undefined): Promise<void> {
    if (!seen) return;
    const checked = this.checked;
    if (checked && checked.term === seen.term && checked.version === seen.version) return;
    const stored = await this.plane.readVersioned<unknown>(this.plane.keys.definition);
    if (!stored) return;
    this.checked = { term: stored.term, version: stored.version };
    try {
      const definition = parseDefinition(
        stored.value,
        `cluster definition version ${stored.version} (term ${stored.term})`,
      );
      if (definition.cluster !== this.bootstrap.cluster) {
        throw new Error(`it is for cluster "${definition.cluster}", this node belongs to "${this.bootstrap.cluster}"`);
      }
      this.current = definition;
      this.runningVersion = { term: stored.term, version: stored.version };
      this.refusalReason = null;
    } catch (error) {
      const detail = error instanceof ConfigError ? error.message : (error as Error).message;
      const runs = this.runningVersion ? `version ${this.runningVersion.version}` : 'the bootstrap file';
      this.refusalReason = `cannot validate cluster definition version ${stored.version}; running ${runs}: ${detail}`;
    }
  }

  /**
   * A new leader's step: writes the bootstrap definition when the control plane has none (create-if-absent, fenced
   * by the term, as Patroni bootstraps its dynamic configuration). Returns true when it wrote it.
   */
  async bootstrapIfAbsent(term: number, beforeWrite: () => void): Promise<boolean> {
    const stored = await this.plane.readVersioned<unknown>(this.plane.keys.definition);
    if (stored) {
      await this.follow({ term: stored.term, version: stored.version });
      return false;
    }
    beforeWrite();
    const result = await this.plane.fencedWrite(this.plane.keys.definition, term, 1, this.bootstrap, 'create');
    if (result.written > 0) this.runningVersion = this.checked = { term, version: 1 };
    return result.written > 0;
  }
}
