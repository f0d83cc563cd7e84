import type { Redis } from 'ioredis';
import { contactUriParams } from './contact-params.js';
import { registrationKey } from './keys.js';
import { pushDestinations, type Parsed, type PushDestinations } from './push-target.js';

/** One device of an AOR as the registrar stored it, with its push destinations or why it has none. */
export interface PushBinding {
  /** The hash field: the binding's key (its +sip.instance, quotes kept, as Flexisip writes it). */
  instance: string;
  contact: string;
  destinations: Parsed<PushDestinations>;
  /** Flexisip expires bindings logically: updatedAt + expires in the contact URI. */
  expired: boolean;
}

/** An AOR as operators write it (`sip:user@host`, `<sips:user@host>`, `user@host`) as the record key wants it. */
export function normalizeAor(input: string): string {
  return input
    .trim()
    .replace(/^<(.*)>$/, '$1')
    .replace(/^sips?:/i, '')
    .replace(/[;?].*$/, '');
}

/** The bindings of an AOR from its `fs:<aor>` hash (Flexisip's format; see ARCHITECTURE.md "Key layout"). */
export async function readPushBindings(redis: Redis, aor: string, now = Date.now()): Promise<PushBinding[]> {
  const record = await redis.hgetall(registrationKey(aor));
  return Object.entries(record).map(([instance, contact]) => {
    const parsed = contactUriParams(contact);
    if (!parsed.ok) return { instance, contact, destinations: { ok: false, error: parsed.error }, expired: false };
    const updatedAt = Number(parsed.params.get('updatedat'));
    const expires = Number(parsed.params.get('expires'));
    const expired = Number.isFinite(updatedAt) && Number.isFinite(expires) && (updatedAt + expires) * 1000 < now;
    return { instance, contact, destinations: pushDestinations(parsed.params), expired };
  });
}
