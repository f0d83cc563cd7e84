import type { SipUri } from '../message/index.js';

/**
 * The push parameters a device registered in its Contact URI: RFC 8599 (`pn-provider`, `pn-prid`, `pn-param`) or
 * the legacy Linphone form (`pn-type`, `pn-tok`, `app-id`), values decoded. Like Flexisip, a set counts only when
 * its three parameters are all present and non-empty. What a push goes to is decided by the push work
 * (src/push/push-target.ts, which maps both forms as Flexisip does); the registrar only carries them.
 */
export type PushParams =
  | { readonly kind: 'rfc8599'; readonly provider: string; readonly prid: string; readonly param: string }
  | { readonly kind: 'legacy'; readonly type: string; readonly token: string; readonly appId: string };

/**
 * The URI parameters that are for the proxy and the push service only: Flexisip's Forward module removes them from
 * a request-URI or Contact before it goes out (module-forward.cc `params-to-remove`), so apps never see them.
 */
export const PUSH_URI_PARAMS: readonly string[] = Object.freeze([
  'pn-tok',
  'pn-type',
  'app-id',
  'pn-msg-str',
  'pn-call-str',
  'pn-call-snd',
  'pn-msg-snd',
  'pn-timeout',
  'pn-silent',
  'pn-provider',
  'pn-prid',
  'pn-param',
]);

export function pushParamsOf(uri: SipUri): PushParams | undefined {
  const value = (name: string) => {
    const found = uri.param(name);
    return typeof found === 'string' ? found : '';
  };
  const provider = value('pn-provider');
  const prid = value('pn-prid');
  const param = value('pn-param');
  if (provider !== '' && prid !== '' && param !== '') return { kind: 'rfc8599', provider, prid, param };
  const type = value('pn-type');
  const token = value('pn-tok');
  const appId = value('app-id');
  if (type !== '' && token !== '' && appId !== '') return { kind: 'legacy', type, token, appId };
  return undefined;
}

/** The URI without the push parameters, as it may be sent on the wire. */
export function withoutPushParams(uri: SipUri): SipUri {
  const kept = uri.params.filter((param) => !PUSH_URI_PARAMS.includes(param.name.toLowerCase()));
  return kept.length === uri.params.length ? uri : uri.with({ params: kept });
}
