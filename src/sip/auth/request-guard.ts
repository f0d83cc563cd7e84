import type { Logger } from '../../log.js';
import { SipRequest, SipUri, type Uri } from '../message/index.js';
import { arrivedThroughPath, readPathHop } from '../proxy/cross-node.js';
import type { ProxySettings } from '../proxy/settings.js';
import type { LocalIdentity } from '../proxy/local-identity.js';
import { isFromPbx } from '../proxy/routing.js';
import type { MessageHandler, MessageSource, SipTransportLayer } from '../transport/index.js';
import { challengeHeaders } from './challenge.js';
import type { ChallengeTags } from './challenge-tag.js';
import type { DigestAuthenticator } from './digest-authenticator.js';
import { removeOwnCredentials } from './select-credentials.js';

/*
 * The auth step in front of the proxy's message handler (the registrar for REGISTER, the proxy core for the rest).
 * Which requests are checked is decided here; how they are checked, and what the answer is, is the authenticator's
 * (digest-authenticator.ts: trusted sources, ACK and CANCEL, pass-through domains, 401 for REGISTER, 407 else).
 *
 * Not checked: responses; ACK and CANCEL (the authenticator passes them: they cannot be resubmitted with
 * credentials, RFC 3261 22.1); requests from a PBX target (they come from the platform, and the PBX has no credentials
 * of ours); in-dialog requests (To tag) whose top Route is ours (our Record-Route coming back: the dialog was
 * authorised when it was created, as Kamailio's `has_totag() && loose_route()` does); requests another node sends
 * through our Path to a device registered here (that node authenticated its caller; the flow reference is checked
 * against the bindings, so such a request reaches nothing but that device). Every other request is checked
 * against the domain of To (REGISTER) or From: a domain without auth configuration gets 403, so a device cannot
 * avoid the challenge by writing another domain in From.
 *
 * Answers are sent without a server transaction (as the registrar answers REGISTER): a retransmitted request is
 * checked again. Two consequences, handled here:
 * - the ACK of a 407 to an INVITE carries our To tag (challenge-tag.ts) and is absorbed, never routed to the PBX;
 * - a UDP retransmission of an accepted request reaches the authenticator again and is told `retransmission`
 *   (same nonce count, same Via branch, within 64*T1 of its first use: later it is a replay); it is passed on, where the transaction layer absorbs it (the registrar
 *   recognises a REGISTER by its Call-ID and CSeq). Over TCP, TLS and WebSocket nothing is retransmitted, so the same
 *   nonce count again is a replay and gets a new challenge.
 */

export interface RequestGuardOptions {
  readonly authenticator: DigestAuthenticator;
  readonly tags: ChallengeTags;
  readonly transports: Pick<SipTransportLayer, 'sendResponse'>;
  /** True for a source never challenged here: the PBX targets. */
  readonly isPlatform: (source: MessageSource) => boolean;
  /** True when a Route URI names this proxy (our Record-Route, on the request's way back through us). */
  readonly isOwnRoute: (uri: Uri, source: MessageSource) => boolean;
  /**
   * True when a Route URI is our own Path entry and the request reached the internal listener it names: another
   * node delivering to a device registered here (proxy/cross-node.ts checks the flow reference against the bindings).
   */
  readonly isPathDelivery: (uri: Uri, source: MessageSource) => boolean;
  readonly log: Logger;
}

export class RequestGuard {
  readonly counters = { checked: 0, answered: 0, acksAbsorbed: 0, retransmissionsPassed: 0 };

  constructor(private readonly options: RequestGuardOptions) {}

  /** The message handler with the auth step before `next`. */
  wrap(next: MessageHandler): MessageHandler {
    return (message, source) => {
      if (!(message instanceof SipRequest)) return next(message, source);
      if (message.method === 'ACK') {
        if (!this.options.tags.isAckOfOurs(message)) return next(message, source);
        this.counters.acksAbsorbed++;
        return undefined;
      }
      if (this.unchecked(message, source)) return next(message, source);
      return this.check(message, source, next);
    };
  }

  private unchecked(request: SipRequest, source: MessageSource): boolean {
    if (this.options.isPlatform(source)) return true;
    try {
      const top = request.routes()[0];
      if (top === undefined) return false;
      if (this.options.isPathDelivery(top.uri, source)) return true;
      return request.to().tag !== undefined && this.options.isOwnRoute(top.uri, source);
    } catch {
      return false; // A Route that cannot be read opens no door: checked; the core answers the 400 later.
    }
  }

  private check(request: SipRequest, source: MessageSource, next: MessageHandler): void | Promise<void> {
    this.counters.checked++;
    const outcome = this.options.authenticator.check(request, { address: source.address });
    if (outcome.ok) {
      if (outcome.how === 'digest' && request.method !== 'REGISTER') {
        removeOwnCredentials(request, outcome.realm, challengeHeaders(request).credentials);
      }
      return next(request, source);
    }
    if (outcome.reason === 'retransmission' && source.transport === 'udp') {
      this.counters.retransmissionsPassed++;
      return next(request, source);
    }
    this.counters.answered++;
    return this.options.transports.sendResponse(outcome.response, source).catch((error: Error) => {
      this.options.log.debug({ err: error, sip: { method: request.method } }, 'auth answer not sent');
    });
  }
}

/**
 * The guard of a proxy process: the PBX targets and our own addresses are the proxy core's (its settings and its
 * identity, which also holds the HAProxy frontends learnt from PROXY headers).
 */
export function startRequestGuard(options: {
  readonly authenticator: DigestAuthenticator;
  readonly tags: ChallengeTags;
  readonly transports: SipTransportLayer;
  readonly core: { readonly identity: LocalIdentity; readonly settings: ProxySettings };
  readonly log: Logger;
}): RequestGuard {
  const { identity, settings } = options.core;
  return new RequestGuard({
    authenticator: options.authenticator,
    tags: options.tags,
    transports: options.transports,
    log: options.log,
    isPlatform: (source) => isFromPbx(source, settings),
    isPathDelivery: (uri, source) =>
      uri instanceof SipUri && identity.isOwnPathUri(uri) && arrivedThroughPath(readPathHop(uri), source),
    isOwnRoute: (uri, source) => {
      // Behind HAProxy our Record-Route names the frontend the client connected to (learnt as the core learns it).
      const frontend = source.proxy?.destination;
      if (frontend) identity.learn(frontend.address, frontend.port);
      return identity.isLocalUri(uri);
    },
  });
}
