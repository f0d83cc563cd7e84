import { createHash } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { PushKeys } from './keys.js';

/**
 * The record of a push token a provider rejected for good, per binding. The push worker writes it; the registrar
 * (not built yet) reads it to drop or refuse the binding, and clears it when the device registers a new token.
 * It is a key of its own (`<prefix>:invalid-token:<aor>`, a hash keyed like `fs:<aor>` by +sip.instance) so that
 * the Flexisip-format `fs:*` records are never rewritten by anyone but the registrar.
 *
 * The token itself is not stored, only a digest prefix: enough for the registrar to tell whether the binding still
 * carries the token that was rejected (the device may have registered a new one since), and no secret copied.
 */
export interface InvalidTokenFlag {
  provider: 'fcm' | 'apns';
  /** The first 16 hex digits of the token's SHA-256 (see tokenDigest). */
  tokenDigest: string;
  /** The provider's answer, e.g. `410 Unregistered` or `404 UNREGISTERED Requested entity was not found.` */
  answer: string;
  /** Wall-clock milliseconds. */
  at: number;
  jobId: string;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/**
 * Flags a binding whose push token is dead: one field of the AOR's flag hash, and the hash's TTL renewed. Queued
 * on `commands` (a MULTI or pipeline) so it lands atomically with the job's outcome; the caller runs exec().
 */
export function flagInvalidToken(
  commands: ChainableCommander,
  keys: PushKeys,
  aor: string,
  instance: string,
  flag: InvalidTokenFlag,
  ttlS: number,
): ChainableCommander {
  const key = keys.invalidTokens(aor);
  return commands.hset(key, instance, JSON.stringify(flag)).expire(key, ttlS);
}

/** The flagged bindings of an AOR, by +sip.instance; unreadable entries are left out. */
export async function readInvalidTokens(
  redis: Redis,
  keys: PushKeys,
  aor: string,
): Promise<Map<string, InvalidTokenFlag>> {
  const raw = await redis.hgetall(keys.invalidTokens(aor));
  const flags = new Map<string, InvalidTokenFlag>();
  for (const [instance, text] of Object.entries(raw)) {
    try {
      flags.set(instance, JSON.parse(text) as InvalidTokenFlag);
    } catch {
      // someone else's write; not ours to repair
    }
  }
  return flags;
}
