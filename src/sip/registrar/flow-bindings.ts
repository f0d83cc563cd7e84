/*
 * Which bindings registered through this process use each stream connection. A device that registers its instance
 * again over a new connection has left the old one (a NAT rebinding, a network change, a reconnect after a silent
 * loss): the registrar closes that old flow, as Flexisip does, so that it stops costing a descriptor and TLS memory
 * until the idle timeout, and nothing is ever sent to a device on a flow it no longer reads (RFC 5626 section 4.2
 * in spirit). But only when no other live binding registered here still uses it: a device with several accounts on
 * one connection keeps it for the others.
 *
 * In memory only, and only this process's connections: a connection id from another node, or from before a
 * restart, names nothing here. Entries go when their connection closes (forget) or their binding is replaced,
 * removed, evicted or found dead by the store.
 */

interface Use {
  readonly connectionId: string;
  /** Unix seconds: the binding is dead from then on, and no longer keeps its connection in use. */
  readonly expiresAtS: number;
}

export class FlowBindings {
  /** aor -> field -> the connection the binding was registered over. */
  private readonly byAor = new Map<string, Map<string, Use>>();
  /** connection -> the bindings on it, as `aor\nfield`. */
  private readonly byConnection = new Map<string, Set<string>>();

  /** The binding now uses `connectionId` until `expiresAtS`; returns the connection it was on before, if any. */
  bind(aor: string, field: string, connectionId: string, expiresAtS: number): string | undefined {
    const before = this.unbind(aor, field);
    let fields = this.byAor.get(aor);
    if (fields === undefined) this.byAor.set(aor, (fields = new Map()));
    fields.set(field, { connectionId, expiresAtS });
    let users = this.byConnection.get(connectionId);
    if (users === undefined) this.byConnection.set(connectionId, (users = new Set()));
    users.add(`${aor}\n${field}`);
    return before;
  }

  /** The binding is gone, or no longer on a connection of ours; returns the connection it was on, if any. */
  unbind(aor: string, field: string): string | undefined {
    const fields = this.byAor.get(aor);
    const use = fields?.get(field);
    if (fields === undefined || use === undefined) return undefined;
    fields.delete(field);
    if (fields.size === 0) this.byAor.delete(aor);
    const users = this.byConnection.get(use.connectionId);
    users?.delete(`${aor}\n${field}`);
    if (users?.size === 0) this.byConnection.delete(use.connectionId);
    return use.connectionId;
  }

  /** After a REGISTER of `aor`: its bindings not among `live` (removed, evicted, dead) are forgotten. */
  keepOnly(aor: string, live: Iterable<string>): void {
    const fields = this.byAor.get(aor);
    if (fields === undefined) return;
    const kept = new Set(live);
    for (const field of [...fields.keys()]) if (!kept.has(field)) this.unbind(aor, field);
  }

  /** True while a live binding registered here uses the connection. */
  inUse(connectionId: string, nowS: number): boolean {
    for (const key of this.byConnection.get(connectionId) ?? []) {
      const [aor, field] = splitKey(key);
      if ((this.byAor.get(aor)?.get(field)?.expiresAtS ?? 0) > nowS) return true;
    }
    return false;
  }

  /** The connection closed: its bindings are on no connection of ours any more. */
  forget(connectionId: string): void {
    for (const key of [...(this.byConnection.get(connectionId) ?? [])]) {
      const [aor, field] = splitKey(key);
      this.unbind(aor, field);
    }
    this.byConnection.delete(connectionId);
  }

  /** How many bindings are tracked (for tests and logs). */
  get size(): number {
    let count = 0;
    for (const fields of this.byAor.values()) count += fields.size;
    return count;
  }
}

/** An AOR holds no newline (it comes from a parsed URI), so the first one ends it; a field may hold anything. */
function splitKey(key: string): [string, string] {
  const at = key.indexOf('\n');
  return [key.slice(0, at), key.slice(at + 1)];
}
