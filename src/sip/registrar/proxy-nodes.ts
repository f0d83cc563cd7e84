import type { Redis } from 'ioredis';

/**
 * Which node each `fs-proxy-id` belongs to, for operators: a hash in the data Redis (`fs-proxy-id` -> node name)
 * that every proxy with a Path and a node name writes when its connection is ready, and `clusterctl registrations`
 * reads to name the node holding a device's flow. Flexisip nodes sharing the Redis neither read nor need it.
 */
export const PROXY_NODES_KEY = 'stg:sip:proxy-nodes';

export async function announceProxyNode(redis: Redis, proxyId: string, node: string): Promise<void> {
  await redis.hset(PROXY_NODES_KEY, proxyId, node);
}

/** The known `fs-proxy-id` -> node pairs (empty when no proxy announced itself). */
export async function readProxyNodes(redis: Redis): Promise<Map<string, string>> {
  return new Map(Object.entries(await redis.hgetall(PROXY_NODES_KEY)));
}
