/** One stream's entries in an XREAD/XREADGROUP reply: [entry id, [field, value, ...] or null if deleted]. */
export type StreamEntries = [string, string[] | null][];

/**
 * The streams of an XREAD or XREADGROUP reply, as [key, entries] pairs. Over RESP2 Redis answers a list of
 * [key, entries] pairs; over RESP3 a map, which ioredis hands back flattened as [key, entries, key, entries...].
 * Both are read here so the queue does not depend on the protocol the connection negotiated.
 */
export function streamsOf(reply: unknown): [string, StreamEntries][] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  if (Array.isArray(reply[0])) return reply as [string, StreamEntries][];
  const pairs: [string, StreamEntries][] = [];
  for (let index = 0; index + 1 < reply.length; index += 2) {
    pairs.push([String(reply[index]), reply[index + 1] as StreamEntries]);
  }
  return pairs;
}
