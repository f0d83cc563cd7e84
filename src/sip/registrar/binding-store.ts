import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** The Redis key of an address of record, as Flexisip names it (`fs:` + user@host, case kept). */
export function recordKey(aor: string): string {
  return `fs:${aor}`;
}

/**
 * The index of live bindings (sorted set: member `<aor> <field>`, score = expiry in unix seconds), kept by the
 * register script. Bindings written by a Flexisip node sharing the Redis are not in it.
 */
export const REGISTRATIONS_INDEX_KEY = 'stg:sip:registrations';

/** One contact of a REGISTER, ready to store: `value` is the serialized contact (it carries its own expiry). */
export interface ContactWrite {
  /** The hash field: the raw +sip.instance value (quotes and brackets kept), or a key derived from the URI. */
  readonly field: string;
  readonly value: string;
  /** Seconds granted; 0 removes the contact. */
  readonly expires: number;
  /** The push identity (binding-key.ts pushKey), '' when none: another binding with the same one is dropped. */
  readonly pushKey: string;
  /**
   * For a removal (expires 0) of a contact without instance: its URI up to the parameters, lower case
   * (binding-key.ts uriBase). Every binding registered with that URI is removed, whatever its field (RFC 3261
   * matches bindings by URI; a device may have registered with a +sip.instance and un-register without it).
   */
  readonly uriBase?: string;
}

/** The request the contacts come from: its Call-ID as serialized in the `callid` parameter, and its CSeq. */
export interface RegisterOrigin {
  readonly callId: string;
  readonly cseq: number;
}

export type RegisterOutcome =
  /** Applied: the live contacts of the AOR after the change (field -> serialized value), newest first. */
  | { kind: 'ok'; contacts: Map<string, string> }
  /** This very REGISTER was applied before (same Call-ID and CSeq): nothing changed; the current contacts. */
  | { kind: 'retransmission'; contacts: Map<string, string> }
  /** A contact is stored with this Call-ID and a higher CSeq (out of order): nothing was changed. */
  | { kind: 'stale'; field: string; storedCseq: number };

const SCRIPT = readFileSync(new URL('./lua/register-1.lua', import.meta.url), 'utf8');
const COMMAND = 'stgRegister';

type RegisterCommand = (key: string, ...args: (string | number)[]) => Promise<string[]>;

/**
 * The registrar's bindings in the data Redis, in Flexisip's record format. Each REGISTER is one atomic script call
 * that applies the Call-ID/CSeq rules, drops dead contacts, enforces the per-AOR limit, sets the key's expiry to
 * the latest contact's and publishes each changed field on the AOR's channel. Every method rejects when Redis did
 * not answer (the caller must then not claim the write happened).
 */
export class BindingStore {
  constructor(
    readonly redis: Redis,
    private readonly maxContactsPerAor: number,
  ) {
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: SCRIPT });
  }

  /** Applies a REGISTER's contacts (expires 0 removes one). */
  async register(
    aor: string,
    origin: RegisterOrigin,
    contacts: readonly ContactWrite[],
    nowS: number,
  ): Promise<RegisterOutcome> {
    const args: (string | number)[] = [nowS, this.maxContactsPerAor, aor, 'bind', origin.callId, origin.cseq];
    for (const contact of contacts) {
      args.push(contact.field, contact.value, contact.expires, contact.pushKey, contact.uriBase ?? '');
    }
    return parseReply(await this.command()(recordKey(aor), REGISTRATIONS_INDEX_KEY, ...args));
  }

  /** Contact: * with Expires: 0: every contact of the AOR removed (unless the CSeq rules refuse it). */
  async clear(aor: string, origin: RegisterOrigin, nowS: number): Promise<RegisterOutcome> {
    const args = [nowS, this.maxContactsPerAor, aor, 'clear', origin.callId, origin.cseq];
    return parseReply(await this.command()(recordKey(aor), REGISTRATIONS_INDEX_KEY, ...args));
  }

  /** The stored contacts of an AOR (dead ones included: the caller checks expiry), field -> value. */
  async fetch(aor: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(recordKey(aor))));
  }

  /** One stored contact (a GRUU names its AOR and field). */
  async fetchField(aor: string, field: string): Promise<string | undefined> {
    return (await this.redis.hget(recordKey(aor), field)) ?? undefined;
  }

  private command(): RegisterCommand {
    return (this.redis as unknown as Record<typeof COMMAND, RegisterCommand>)[COMMAND].bind(this.redis);
  }
}

type IndexReader = Pick<Redis, 'zcount' | 'zremrangebyscore'>;

/** How many bindings registered through stg-sip-proxy are live at `nowS` (any node, one ZCOUNT). */
export async function countLiveRegistrations(redis: IndexReader, nowS: number): Promise<number> {
  return redis.zcount(REGISTRATIONS_INDEX_KEY, `(${nowS}`, '+inf');
}

/**
 * Drops the index entries of bindings that expired without a REGISTER to remove them (the device went away); their
 * records expire on their own in Redis. Returns how many went.
 */
export async function pruneExpiredRegistrations(redis: IndexReader, nowS: number): Promise<number> {
  return redis.zremrangebyscore(REGISTRATIONS_INDEX_KEY, '-inf', nowS);
}

function parseReply(reply: string[]): RegisterOutcome {
  if (reply[0] === 'stale') return { kind: 'stale', field: reply[1] ?? '', storedCseq: Number(reply[2]) };
  const contacts = new Map<string, string>();
  for (let i = 1; i + 1 < reply.length; i += 2) contacts.set(reply[i]!, reply[i + 1]!);
  return { kind: reply[0] === 'retransmission' ? 'retransmission' : 'ok', contacts };
}
