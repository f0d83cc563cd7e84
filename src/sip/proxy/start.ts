import type { Logger } from '../../log.js';
import { SipRequest } from '../message/index.js';
import { TransactionLayer } from '../transaction/index.js';
import type { MessageHandler, SipTransportLayer } from '../transport/index.js';
import { proxySettings, type ProxyConfig } from './config.js';
import type { ContactLookup, PushHook } from './contact-lookup.js';
import { ProxyCore } from './proxy-core.js';

export interface RunningProxy {
  readonly core: ProxyCore;
  readonly layer: TransactionLayer;
  /** Every message but REGISTER goes here (the registrar takes REGISTER before it, when there is one). */
  readonly handler: MessageHandler;
}

/**
 * The proxy core of a proxy process: the transaction layer on the transports, the proxy on the transaction layer.
 * `contacts` is the registrar's lookup; `domains` and `proxyId` default the proxy's own from the registrar's.
 */
export function startProxyCore(options: {
  readonly config: ProxyConfig | undefined;
  readonly transports: SipTransportLayer;
  readonly log: Logger;
  readonly contacts?: ContactLookup | undefined;
  readonly push?: PushHook | undefined;
  readonly domains?: readonly string[] | undefined;
  readonly proxyId?: string | undefined;
}): RunningProxy {
  const { config, transports, log } = options;
  const { settings, timers } = proxySettings(config, { domains: options.domains, proxyId: options.proxyId });
  const layer = new TransactionLayer({ sender: transports, log: log.child({ layer: 'transaction' }), timers });
  const core = new ProxyCore({
    transport: transports,
    layer,
    settings,
    contacts: options.contacts,
    push: options.push,
    log,
  });
  const handler: MessageHandler = (message, source) => {
    if (message instanceof SipRequest && message.method === 'REGISTER') {
      // Only when no registrar runs in this process (no data store configured): nobody can register here.
      return transports.reply(message, source, 501, 'No Registrar Here').catch(() => undefined);
    }
    layer.receive(message, source);
  };
  log.info(
    {
      domains: settings.domains,
      pbx: settings.pbx.targets,
      recordRoute: settings.recordRoute,
      timers,
      registrar: options.contacts !== undefined,
    },
    'proxy core ready',
  );
  return { core, layer, handler };
}
