import { parseNameAddr } from '../sip/message/index.js';

/**
 * Reads the URI parameters of a stored contact: the value of a `fs:<aor>` hash field as Flexisip writes it, e.g.
 * `"JAC" <sip:40004*01@79.146.86.86:33030;pn-prid=TOKEN;pn-provider=fcm;pn-param=917288118967;transport=tls;
 * fs-conn-id=ee1a...;expires=36000;updatedAt=1697711736?path=...>;+sip.instance="<urn:uuid:...>"`.
 *
 * The parsing is the SIP layer's (src/sip/message, RFC 3261 grammar); this only reshapes its result for push: the
 * URI's parameters by lower-case name, values %-decoded, a flag parameter as ''. A contact in addr-spec form
 * (no angle brackets) has no URI parameters: RFC 3261 20.10 makes the ones after it header parameters. Returns an
 * error sentence instead of throwing: stored data is input like any other.
 */
export type ContactParams =
  { ok: true; uri: string; params: Map<string, string>; instance: string | undefined } | { ok: false; error: string };

export function contactUriParams(contact: string): ContactParams {
  let parsed;
  try {
    parsed = parseNameAddr(contact, 'Contact');
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  const uri = parsed.uri;
  if (uri.kind !== 'sip') return { ok: false, error: `not a sip: or sips: URI (${truncate(String(uri))})` };
  const params = new Map<string, string>();
  for (const { name } of uri.params) {
    const key = name.toLowerCase();
    // RFC 3261 19.1.1: a parameter name appears once; keep the first, as Flexisip's getParamValue does.
    if (!params.has(key)) params.set(key, uri.param(key) ?? '');
  }
  const instance = parsed.params.unquoted('+sip.instance');
  return {
    ok: true,
    uri: `${uri.scheme}:${uri.user === undefined ? '' : `${uri.user}@`}${uri.host}${uri.port === undefined ? '' : `:${uri.port}`}`,
    params,
    instance: typeof instance === 'string' ? instance : undefined,
  };
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
