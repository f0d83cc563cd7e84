/**
 * Every key the push queue uses in the data Redis, built in one place (ARCHITECTURE.md "Key layout"). The data
 * Redis holds registrations too; these keys all start with the configured prefix (default `stg:push`), so
 * `redis-cli --scan --pattern 'stg:push:*'` lists them and nothing here can collide with `fs:*`.
 */
export class PushKeys {
  constructor(readonly prefix: string) {}

  /** The job stream, read by the workers' consumer group. */
  get jobs(): string {
    return `${this.prefix}:jobs`;
  }

  /** A job's outcome: a stream with a single entry (id 1-0) and a TTL, so callers can block on it (XREAD). */
  result(jobId: string): string {
    return `${this.prefix}:result:${jobId}`;
  }

  /** Jobs that did not end delivered, with their reason (a capped stream, for operators). */
  get deadLetter(): string {
    return `${this.prefix}:dead`;
  }

  /**
   * The bindings of an AOR whose push token a provider rejected: a hash, field = the binding's key in `fs:<aor>`
   * (its +sip.instance), value = JSON (see invalid-tokens.ts). The registrar reads it; it never touches `fs:*`.
   */
  invalidTokens(aor: string): string {
    return `${this.prefix}:invalid-token:${aor}`;
  }
}

/** The Flexisip registration hash of an address of record (`user@host`, no scheme). */
export function registrationKey(aor: string): string {
  return `fs:${aor}`;
}
