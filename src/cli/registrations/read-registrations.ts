import type { Redis } from 'ioredis';
import { withoutPushParams } from '../../sip/registrar/push-params.js';
import { isLive, parseBinding } from '../../sip/registrar/flexisip-contact.js';
import { toRegisteredContact } from '../../sip/registrar/registered-contact.js';

/*
 * What `clusterctl registrations` reads from the data Redis: the registrar's records (`fs:<aor>` hashes, Flexisip's
 * format), decoded with the registrar's own reader so that the CLI shows what the proxy would use.
 */

const RECORD_PREFIX = 'fs:';
/** Keys asked per SCAN step: small enough not to hold Redis up, large enough to list 100k AORs in a few seconds. */
const SCAN_COUNT = 500;

/** One address of record in the list. */
export interface AorSummary {
  aor: string;
  /** Bindings alive now (updatedAt + expires in the future). */
  live: number;
  /** Live bindings with complete push parameters. */
  pushable: number;
  /** The proxies (fs-proxy-id of the Path) holding the live bindings' flows. */
  proxies: string[];
  /** The node of each of `proxies`, as the proxies announced it (null when unknown). */
  nodes: (string | null)[];
  /** Stored fields that are expired (removed at the AOR's next REGISTER) or unreadable. */
  stale: number;
}

/** One binding as the operator reads it. */
export interface BindingReport {
  field: string;
  /** The contact URI without the registrar's and the push parameters. */
  contact: string | null;
  instance: string | null;
  expiresInS: number | null;
  /** fs-proxy-id of the topmost Path: the proxy, hence the node, holding the device's flow. */
  proxyId: string | null;
  /** The node of that proxy, when known (else null: the proxy id is shown). */
  node: string | null;
  connectionId: string | null;
  push: { provider: string; app: string } | null;
  userAgent: string | null;
  callId: string | null;
  cseq: number | null;
  updatedAt: string | null;
  /** Why the stored value cannot be read, when it cannot. */
  error: string | null;
}

/** Every AOR (SCAN, never KEYS: the data Redis is serving registrations meanwhile), sorted by name. */
export async function listRegistrations(
  redis: Redis,
  nowS: number,
  nodeOfProxy: (proxyId: string) => string | undefined = () => undefined,
): Promise<AorSummary[]> {
  const summaries: AorSummary[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${RECORD_PREFIX}*`, 'COUNT', SCAN_COUNT);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, index) => {
      const [error, fields] = replies[index] ?? [null, {}];
      // Another kind of key under the prefix (WRONGTYPE) is not a record: left out.
      if (error === null)
        summaries.push(summarize(key.slice(RECORD_PREFIX.length), fields as Record<string, string>, nowS, nodeOfProxy));
    });
  } while (cursor !== '0');
  return summaries.sort((a, b) => a.aor.localeCompare(b.aor));
}

function summarize(
  aor: string,
  fields: Record<string, string>,
  nowS: number,
  nodeOfProxy: (proxyId: string) => string | undefined,
): AorSummary {
  const summary: AorSummary = { aor, live: 0, pushable: 0, proxies: [], nodes: [], stale: 0 };
  const proxies = new Set<string>();
  for (const [field, value] of Object.entries(fields)) {
    const contact = toRegisteredContact(aor, field, value, nowS, undefined);
    if (contact === undefined) {
      summary.stale += 1;
      continue;
    }
    summary.live += 1;
    if (contact.pushable) summary.pushable += 1;
    if (contact.proxyId !== undefined) proxies.add(contact.proxyId);
  }
  summary.proxies = [...proxies].sort();
  summary.nodes = summary.proxies.map((proxyId) => nodeOfProxy(proxyId) ?? null);
  return summary;
}

/** Every stored binding of one AOR (expired ones too, with a negative expiry), the newest first. */
export async function readRegistration(
  redis: Redis,
  aor: string,
  nowS: number,
  nodeOfProxy: (proxyId: string) => string | undefined = () => undefined,
): Promise<BindingReport[]> {
  const fields = await redis.hgetall(`${RECORD_PREFIX}${aor}`);
  const reports = Object.entries(fields).map(([field, value]) => describe(aor, field, value, nowS, nodeOfProxy));
  return reports.sort((a, b) => (b.updatedAt ?? '').localeCompare(a.updatedAt ?? ''));
}

function describe(
  aor: string,
  field: string,
  value: string,
  nowS: number,
  nodeOfProxy: (proxyId: string) => string | undefined,
): BindingReport {
  const parsed = parseBinding(value);
  if (!parsed.ok) return { ...EMPTY, field, error: parsed.error };
  // toRegisteredContact decodes live bindings only: an expired one is read as if it were still alive.
  const binding = parsed.binding;
  const contact = toRegisteredContact(
    aor,
    field,
    value,
    isLive(binding, nowS) ? nowS : binding.updatedAt - 1,
    undefined,
  );
  if (contact === undefined) return { ...EMPTY, field, error: `expires=${binding.expires}: not a binding` };
  const push = contact.push;
  return {
    field,
    contact: withoutPushParams(contact.uri).toString(),
    instance: contact.instance ?? null,
    expiresInS: binding.updatedAt + binding.expires - nowS,
    proxyId: contact.proxyId ?? null,
    node: contact.proxyId === undefined ? null : (nodeOfProxy(contact.proxyId) ?? null),
    connectionId: contact.connectionId ?? null,
    push:
      push === undefined
        ? null
        : push.kind === 'rfc8599'
          ? { provider: push.provider, app: push.param }
          : { provider: push.type, app: push.appId },
    userAgent: contact.userAgent === '' ? null : contact.userAgent,
    callId: contact.callId,
    cseq: contact.cseq,
    updatedAt: new Date(binding.updatedAt * 1000).toISOString(),
    error: null,
  };
}

const EMPTY: Omit<BindingReport, 'field' | 'error'> = {
  contact: null,
  instance: null,
  expiresInS: null,
  proxyId: null,
  node: null,
  connectionId: null,
  push: null,
  userAgent: null,
  callId: null,
  cseq: null,
  updatedAt: null,
};
