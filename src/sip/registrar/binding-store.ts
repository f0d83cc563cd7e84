import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** The Redis key of an address of record, as Flexisip names it (`fs:` + user@host, case kept). */
export function recordKey(aor: string): string {
  return `fs:${aor}`;
}

/** One contact of a REGISTER, ready to store: `value` is the serialized contact (it carries its own expiry). */
export interface ContactWrite {
  /** The hash field: the raw +sip.instance value (quotes and brackets kept), or a key derived from the URI. */
  field: string;
  value: string;
  /** Seconds granted; 0 removes the contact. */
  expires: number;
  /** The Call-ID exactly as serialized in the value's `callid` parameter. */
  callId: string;
  cseq: number;
}

export type RegisterOutcome =
  /** The live contacts of the AOR after the change (field -> serialized value). */
  | { kind: 'ok'; contacts: Map<string, string> }
  /** A contact with the stored Call-ID and a CSeq not above the stored one: nothing was changed. */
  | { kind: 'stale'; field: string; storedCseq: number };

const SCRIPT = readFileSync(new URL('./lua/register-1.lua', import.meta.url), 'utf8');
const COMMAND = 'stgRegister';

type RegisterCommand = (key: string, ...args: (string | number)[]) => Promise<string[]>;

/**
 * The registrar's bindings in the data Redis, in Flexisip's record format, each REGISTER one atomic script call
 * that also drops dead contacts, enforces the per-AOR limit, sets the key's expiry to the latest contact's and
 * publishes each changed field on the AOR's channel.
 */
export class BindingStore {
  constructor(
    private readonly redis: Redis,
    private readonly maxContactsPerAor: number,
  ) {
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: SCRIPT });
  }

  /** Applies a REGISTER's contacts (or `clear` for Contact: *); rejects when Redis did not take it. */
  async register(aor: string, contacts: readonly ContactWrite[], nowS: number): Promise<RegisterOutcome> {
    const args: (string | number)[] = [nowS, this.maxContactsPerAor, aor, 'bind'];
    for (const contact of contacts) {
      args.push(contact.field, contact.value, contact.expires, contact.callId, contact.cseq);
    }
    return parseReply(await this.command()(recordKey(aor), ...args));
  }

  /** Contact: * with Expires: 0: every contact of the AOR removed. */
  async clear(aor: string, nowS: number): Promise<void> {
    await this.command()(recordKey(aor), nowS, this.maxContactsPerAor, aor, 'clear');
  }

  /** The stored contacts of an AOR (dead ones included: the caller checks expiry), field -> value. */
  async fetch(aor: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(recordKey(aor))));
  }

  private command(): RegisterCommand {
    return (this.redis as unknown as Record<typeof COMMAND, RegisterCommand>)[COMMAND].bind(this.redis);
  }
}

function parseReply(reply: string[]): RegisterOutcome {
  if (reply[0] === 'stale') return { kind: 'stale', field: reply[1] ?? '', storedCseq: Number(reply[2]) };
  const contacts = new Map<string, string>();
  for (let i = 1; i + 1 < reply.length; i += 2) contacts.set(reply[i]!, reply[i + 1]!);
  return { kind: 'ok', contacts };
}
