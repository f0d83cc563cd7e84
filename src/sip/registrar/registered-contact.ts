import { parseUri, SipUri, type NameAddr } from '../message/index.js';
import type { MessageSource } from '../transport/index.js';
import { isLive, parseBinding, type StoredBinding } from './flexisip-contact.js';
import type { FlowTable } from './flows.js';
import { pushParamsOf, type PushParams } from './push-params.js';

/**
 * A live binding as the proxy needs it to reach the device. Structurally a superset of the proxy core's
 * `LiveContact` (src/sip/proxy/contact-lookup.ts).
 */
export interface RegisteredContact {
  readonly aor: string;
  /** The hash field: the raw +sip.instance, pn-tok or line, or an `fs-gen-` key derived from the URI. */
  readonly field: string;
  /** The raw +sip.instance (quotes and brackets kept), when the device sent one. */
  readonly instance: string | undefined;
  /**
   * The contact URI to put in the Request-URI, the registrar's parameters removed. Push parameters are kept as
   * registered (Flexisip forks with them); remove them before sending (push-params.ts withoutPushParams).
   */
  readonly uri: SipUri;
  /** The Contact with its header parameters (+sip.instance, q, pub-gruu...). */
  readonly contact: NameAddr;
  /** The stored Path (RFC 3327), topmost first: the Route set towards the device. */
  readonly path: readonly SipUri[];
  /** fs-conn-id: the flow the device registered over; meaningful only on the node that holds it. */
  readonly connectionId: string | undefined;
  /** How to reach that flow from this process (the REGISTER's source), when this process holds it. */
  readonly flow: MessageSource | undefined;
  /** The `fs-proxy-id` of the topmost Path: the node that holds the device's flow. */
  readonly proxyId: string | undefined;
  readonly push: PushParams | undefined;
  /** True when the contact has complete push parameters: a push could wake the device. */
  readonly pushable: boolean;
  /** Seconds the binding has left. */
  readonly expiresIn: number;
  readonly q: number | undefined;
  /** The public GRUU assigned (RFC 5627), without quotes. */
  readonly pubGruu: string | undefined;
  readonly callId: string;
  readonly cseq: number;
  /** Unix time (seconds) of the REGISTER. */
  readonly updatedAt: number;
  readonly userAgent: string;
}

/** A stored value as a registered contact; undefined when it is dead or unreadable (`onBad` says why). */
export function toRegisteredContact(
  aor: string,
  field: string,
  value: string,
  nowS: number,
  flows: FlowTable | undefined,
  onBad?: (error: string) => void,
): RegisteredContact | undefined {
  const parsed = parseBinding(value);
  if (!parsed.ok) {
    onBad?.(parsed.error);
    return undefined;
  }
  const binding = parsed.binding;
  if (!isLive(binding, nowS)) return undefined;
  return describe(aor, field, binding, nowS, flows);
}

function describe(
  aor: string,
  field: string,
  binding: StoredBinding,
  nowS: number,
  flows: FlowTable | undefined,
): RegisteredContact {
  const { contact } = binding;
  const path = binding.path.flatMap((hop) => {
    try {
      const uri = parseUri(hop, 'Path');
      return uri instanceof SipUri ? [uri] : [];
    } catch {
      return [];
    }
  });
  const instance = contact.params.get('+sip.instance');
  const q = contact.params.get('q');
  const gruu = contact.params.unquoted('pub-gruu');
  const proxyId = path[0]?.param('fs-proxy-id');
  const push = pushParamsOf(contact.uri);
  return {
    aor,
    field,
    instance: typeof instance === 'string' ? instance : undefined,
    uri: contact.uri,
    contact,
    path,
    connectionId: binding.connectionId,
    flow: binding.connectionId === undefined ? undefined : flows?.get(binding.connectionId),
    proxyId: typeof proxyId === 'string' ? proxyId : undefined,
    push,
    pushable: push !== undefined,
    expiresIn: binding.updatedAt + binding.expires - nowS,
    q: typeof q === 'string' && Number.isFinite(Number(q)) ? Number(q) : undefined,
    pubGruu: typeof gruu === 'string' && gruu !== '' ? gruu : undefined,
    callId: binding.callId,
    cseq: binding.cseq,
    updatedAt: binding.updatedAt,
    userAgent: binding.userAgent,
  };
}

/** Highest q first (absent counts as 1, RFC 3261 16.6), then the most recently registered. */
export function byPreference(a: RegisteredContact, b: RegisteredContact): number {
  return (b.q ?? 1) - (a.q ?? 1) || b.updatedAt - a.updatedAt;
}
