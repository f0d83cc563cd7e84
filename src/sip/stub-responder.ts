import type { Logger } from '../log.js';
import { SipRequest } from './message/index.js';
import type { MessageHandler, SipTransportLayer } from './transport/index.js';

/** The methods answered so far; the registrar and the proxy core add theirs. */
const ALLOWED = 'OPTIONS';

/**
 * The message handler until the registrar and the proxy core exist: OPTIONS (a keep-alive or a health check from
 * SIPp, HAProxy or a PBX) gets 200, ACK nothing (it never gets a response), any other request 501; responses are
 * ignored, as no transaction of ours is waiting for them.
 */
export function stubResponder(transports: SipTransportLayer, log: Logger): MessageHandler {
  return (message, source) => {
    if (!(message instanceof SipRequest) || message.method === 'ACK') return;
    const ok = message.method === 'OPTIONS';
    const headers: [string, string][] = ok
      ? [
          ['Allow', ALLOWED],
          ['Accept', 'application/sdp'],
        ]
      : [['Allow', ALLOWED]];
    transports.reply(message, source, ok ? 200 : 501, undefined, { headers }).catch((error: Error) => {
      log.debug({ err: error, sip: { method: message.method } }, 'answer not sent');
    });
  };
}
