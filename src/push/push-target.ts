/**
 * Where a push goes, from a binding's push parameters. The mapping follows Flexisip (rfc8599-push-params.cc), so
 * the same REGISTER gives the same push whichever proxy stored it:
 *
 * - RFC 8599: `pn-provider` (apns | apns.dev | fcm), `pn-prid` (the token), `pn-param`. For APNs the param is
 *   `<TeamID>.<bundle>[.<services>]`, services `voip`, `remote` or `voip&remote`; with several services the prid is
 *   `<token>:voip&<token>:remote`; without a service, `remote` is meant. For FCM the param is the Firebase project
 *   (its number, as Linphone sends it) and the prid the registration token, taken whole (FCM tokens contain `:`).
 * - Legacy: `pn-type` (apple | android | firebase | google), `pn-tok`, `app-id`. apple: apns.dev when the app-id
 *   ends with `.dev`, else apns; param `ABCD1234.<app-id without its last dot-part>` (Flexisip's placeholder team).
 *   The others: fcm, param = app-id.
 * A triple counts only when all three parameters are non-empty (extended-contact.cc).
 */
export type ApnsService = 'voip' | 'remote';

export interface FcmTarget {
  provider: 'fcm';
  /** The pn-param: the project the app registered with (selects the service account). */
  project: string;
  token: string;
}

export interface ApnsTarget {
  provider: 'apns';
  environment: 'production' | 'sandbox';
  teamId: string;
  bundle: string;
  /** voip: a PushKit push (topic `<bundle>.voip`); remote: a user-visible alert (topic `<bundle>`). */
  service: ApnsService;
  /** The device token, hex. */
  token: string;
}

export type PushTarget = FcmTarget | ApnsTarget;

/** The destinations one binding offers: FCM has one, APNs one per service the app registered. */
export type PushDestinations =
  { provider: 'fcm'; fcm: FcmTarget } | { provider: 'apns'; voip?: ApnsTarget; remote?: ApnsTarget };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** The destinations from a contact URI's parameters (names lower-case), or why there are none. */
export function pushDestinations(params: ReadonlyMap<string, string>): Parsed<PushDestinations> {
  const provider = params.get('pn-provider') ?? '';
  const prid = params.get('pn-prid') ?? '';
  const param = params.get('pn-param') ?? '';
  if (provider && prid && param) return fromRfc8599(provider, param, prid);
  const type = params.get('pn-type') ?? '';
  const token = params.get('pn-tok') ?? '';
  const appId = params.get('app-id') ?? '';
  if (type && token && appId) return fromLegacy(type, appId, token);
  if (provider || prid || param)
    return { ok: false, error: 'incomplete RFC 8599 parameters (need pn-provider, pn-prid and pn-param)' };
  if (type || token || appId)
    return { ok: false, error: 'incomplete legacy push parameters (need pn-type, pn-tok and app-id)' };
  return { ok: false, error: 'no push parameters' };
}

function fromLegacy(type: string, appId: string, token: string): Parsed<PushDestinations> {
  if (type === 'apple') {
    const provider = appId.endsWith('.dev') ? 'apns.dev' : 'apns';
    const lastDot = appId.lastIndexOf('.');
    return fromRfc8599(provider, `ABCD1234.${lastDot < 0 ? appId : appId.slice(0, lastDot)}`, token);
  }
  if (type === 'android' || type === 'firebase' || type === 'google') return fromRfc8599('fcm', appId, token);
  return { ok: false, error: `legacy pn-type "${type}" is not supported (apple, android, firebase, google)` };
}

function fromRfc8599(provider: string, param: string, prid: string): Parsed<PushDestinations> {
  if (provider === 'fcm')
    return { ok: true, value: { provider: 'fcm', fcm: { provider: 'fcm', project: param, token: prid } } };
  if (provider !== 'apns' && provider !== 'apns.dev') {
    const hint = provider === 'android' || provider === 'firebase' ? ' (apps usually mean "fcm")' : '';
    return { ok: false, error: `pn-provider "${provider}" is not supported (apns, apns.dev, fcm)${hint}` };
  }
  const parsedParam = apnsParam(param);
  if (!parsedParam)
    return { ok: false, error: `pn-param "${param}" is not <TeamID>.<bundle>[.voip|.remote|.voip&remote]` };
  const { teamId, bundle, services } = parsedParam;
  const tokens = prid.split('&');
  if (tokens.length !== services.length) {
    return {
      ok: false,
      error: `pn-param declares ${services.length} service(s) but pn-prid has ${tokens.length} token(s)`,
    };
  }
  const environment = provider === 'apns.dev' ? 'sandbox' : 'production';
  const destinations: { provider: 'apns'; voip?: ApnsTarget; remote?: ApnsTarget } = { provider: 'apns' };
  for (const entry of tokens) {
    const match = /^([^:]+)(?::(voip|remote))?$/.exec(entry);
    if (!match) return { ok: false, error: 'pn-prid is not <token>[:voip|:remote][&...]' };
    const token = match[1] ?? '';
    const named = match[2] as ApnsService | undefined;
    // One token without a service name is for the one service declared (Flexisip's rule).
    if (named === undefined && tokens.length > 1) return { ok: false, error: 'pn-prid names no service for a token' };
    const service = named ?? services[0]!;
    if (!services.includes(service)) {
      return { ok: false, error: `pn-prid has a ${service} token but pn-param declares ${services.join('&')}` };
    }
    destinations[service] = { provider: 'apns', environment, teamId, bundle, service, token };
  }
  return { ok: true, value: destinations };
}

/** `<TeamID>.<bundle>.<services>`: team before the first dot, services after the last, bundle between. */
function apnsParam(param: string): { teamId: string; bundle: string; services: ApnsService[] } | undefined {
  const withServices = /^([^.]+)\.(.+)\.((?:voip|remote|&)+)$/.exec(param);
  if (withServices) {
    const services = [...new Set(withServices[3]!.split('&').filter(Boolean))] as ApnsService[];
    if (services.length === 0) return undefined;
    return { teamId: withServices[1]!, bundle: withServices[2]!, services };
  }
  const plain = /^([^.]+)\.(.+)$/.exec(param);
  return plain ? { teamId: plain[1]!, bundle: plain[2]!, services: ['remote'] } : undefined;
}

/**
 * The target for a kind of push. A call wants a VoIP push (PushKit wakes the app, which must report a call);
 * without a VoIP token it falls back to a visible alert. A message never uses VoIP (iOS would kill an app that
 * reports no call), so it needs a remote token.
 */
export function targetFor(destinations: PushDestinations, purpose: 'call' | 'message'): Parsed<PushTarget> {
  if (destinations.provider === 'fcm') return { ok: true, value: destinations.fcm };
  const chosen = purpose === 'call' ? (destinations.voip ?? destinations.remote) : destinations.remote;
  if (chosen) return { ok: true, value: chosen };
  return { ok: false, error: 'the app registered no remote-notification token (a message cannot use VoIP)' };
}

/** The APNs topic for a target: the bundle id, `.voip` appended for PushKit pushes. */
export function apnsTopic(target: ApnsTarget): string {
  return target.service === 'voip' ? `${target.bundle}.voip` : target.bundle;
}

/** A token shortened for logs and listings: enough to recognise it, not enough to use it. */
export function shortToken(token: string): string {
  return token.length <= 12 ? token : `${token.slice(0, 6)}...${token.slice(-4)}`;
}
