import type { Logger } from '../../log.js';
import { createResponse, SipParseError, type SipRequest, type SipResponse } from '../message/index.js';
import type { ServerTransaction, TransactionLayer, TransactionUser } from '../transaction/index.js';
import type { Destination, ListenSpec, MessageSource } from '../transport/index.js';
import { NO_CONTACTS, NO_PUSH, type ContactLookup, type LiveContact, type PushHook } from './contact-lookup.js';
import { flowOf, FlowTokens } from './flow-token.js';
import { LocalIdentity } from './local-identity.js';
import { hasLooped, loopHash } from './loop-detection.js';
import { PbxPool } from './pbx-pool.js';
import { ResponseContext, type ContextServices } from './response-context.js';
import { preprocessRoutes } from './route-preprocess.js';
import { decide, reachableTarget, type RoutingEnvironment } from './routing.js';
import type { ProxySettings } from './settings.js';
import { StatelessForwarder } from './stateless.js';

/** What the proxy needs from the transports (SipTransportLayer fits). */
export interface ProxyTransport {
  send(message: SipRequest | SipResponse | Buffer, destination: Destination): Promise<void>;
  hasConnection(connectionId: string): boolean;
  listeners(): readonly ListenSpec[];
}

export interface ProxyCoreOptions {
  readonly transport: ProxyTransport;
  readonly layer: TransactionLayer;
  readonly settings: ProxySettings;
  readonly contacts?: ContactLookup;
  readonly push?: PushHook;
  readonly log: Logger;
}

/** The methods this proxy answers itself, for requests addressed to it (and the registrar's REGISTER). */
const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, REFER, MESSAGE, INFO, UPDATE, PRACK';

/**
 * The stateful proxy (RFC 3261 section 16) on top of the transaction layer. For each new request: the checks of
 * 16.3 (Max-Forwards: 483; Proxy-Require: 420; loops: 482), Route pre-processing (16.4), 100 Trying at once for an
 * INVITE, the routing decision (routing.ts: Routes, flows, GRUUs, registered contacts, the PBX) and a response
 * context that forwards and collects the answers (response-context.ts). CANCEL is answered here hop by hop and
 * cancels the pending branches (16.10); ACKs of 2xx and stray responses are forwarded statelessly.
 */
export class ProxyCore implements TransactionUser {
  private readonly services: ContextServices;
  private readonly routing: RoutingEnvironment;
  private readonly stateless: StatelessForwarder;
  private readonly contexts = new WeakMap<ServerTransaction, ResponseContext>();
  /** INVITEs cancelled while their routing decision was still being made (a Redis lookup). */
  private readonly cancelledEarly = new WeakSet<ServerTransaction>();
  /** Who we are (listeners, aliases, domains, fs-proxy-id, HAProxy frontends learnt): shared with the auth step. */
  readonly identity: LocalIdentity;
  readonly settings: ProxySettings;
  readonly counters = {
    requests: 0,
    answeredHere: 0,
    forwarded: 0,
    cancels: 0,
    acks: 0,
    strayResponses: 0,
    lookupFailures: 0,
  };

  constructor(options: ProxyCoreOptions) {
    const { transport, layer, settings, log } = options;
    const identity = new LocalIdentity(transport.listeners(), settings.aliases, settings.domains, settings.proxyId);
    this.identity = identity;
    this.settings = settings;
    this.services = {
      layer,
      identity,
      tokens: new FlowTokens(),
      settings,
      pbx: new PbxPool(settings.pbx.targets, settings.pbx.quarantineMs, layer.clock),
      clock: layer.clock,
      log,
    };
    this.routing = {
      identity,
      settings,
      contacts: options.contacts ?? NO_CONTACTS,
      push: options.push ?? NO_PUSH,
      hasConnection: (id) => transport.hasConnection(id),
      locationDown: () => {
        this.counters.lookupFailures++;
        // One line per failure would flood the log while Redis is down: every 100th is enough to see it.
        if (this.counters.lookupFailures % 100 === 1) {
          log.warn({ failures: this.counters.lookupFailures }, 'contact lookup failed: answering 503');
        }
      },
    };
    this.stateless = new StatelessForwarder(transport, identity, log);
    layer.setUser(this);
  }

  request(request: SipRequest, source: MessageSource, transaction: ServerTransaction | undefined): void {
    this.counters.requests++;
    if (!transaction) {
      this.forwardAck(request, source);
      return;
    }
    if (request.method === 'CANCEL') {
      this.cancel(request, transaction);
      return;
    }
    this.route(request, source, transaction).catch((error: unknown) => this.failed(error, transaction));
  }

  strayResponse(response: SipResponse): void {
    this.counters.strayResponses++;
    this.stateless.forwardResponse(response).catch((error: unknown) => {
      this.services.log.debug({ err: error }, 'stray response not forwarded');
    });
  }

  private async route(request: SipRequest, source: MessageSource, transaction: ServerTransaction): Promise<void> {
    const maxForwards = request.maxForwards();
    if (maxForwards === 0) {
      // 16.3 step 3: an OPTIONS that can go no further may be answered by us.
      if (request.method === 'OPTIONS') this.answerOptions(transaction);
      else this.answer(transaction, 483);
      return;
    }
    const required = request.headers.getAll('proxy-require');
    if (required.length > 0) {
      this.answer(transaction, 420, undefined, [['Unsupported', required.join(', ')]]);
      return;
    }
    const { identity, tokens } = this.services;
    const { flows, pathHop } = preprocessRoutes(request, identity, tokens);
    const loop = loopHash(request);
    if (hasLooped(request, loop, identity)) {
      this.answer(transaction, 482);
      return;
    }
    if (request.method === 'INVITE') transaction.respond(createResponse(request, 100));

    const decision = await decide(request, source, flows, this.routing, pathHop);
    if (this.cancelledEarly.has(transaction)) {
      this.answer(transaction, 487);
      return;
    }
    switch (decision.kind) {
      case 'self':
        if (request.method === 'OPTIONS') this.answerOptions(transaction);
        else this.answer(transaction, 405, undefined, [['Allow', 'OPTIONS, REGISTER']]);
        return;
      case 'answer':
        this.answer(transaction, decision.status, decision.reason, decision.headers);
        return;
      case 'wait':
        this.handToPushWait(decision.aor, decision.contacts, request, source, transaction, loop);
        return;
      case 'forward':
      case 'pbx': {
        this.counters.forwarded++;
        const context = new ResponseContext(this.services, transaction, request, source, loop);
        this.contexts.set(transaction, context);
        if (decision.kind === 'pbx') context.toPbx();
        else context.fork(decision.targets);
        return;
      }
    }
  }

  /**
   * Issue 8: the push hook keeps the transaction while the device wakes (push-wait.ts), and forwards through
   * response contexts whose answers it filters first (a stale branch's 503 is not final while a push is pending).
   */
  private handToPushWait(
    aor: string,
    contacts: readonly LiveContact[],
    request: SipRequest,
    source: MessageSource,
    transaction: ServerTransaction,
    loop: string,
  ): void {
    this.routing.push.wait!({
      aor,
      request,
      transaction,
      contacts,
      targetOf: (contact) => reachableTarget(contact, this.routing),
      forward: (targets, upstream) => {
        this.counters.forwarded++;
        // A response context only calls respond() and sets events on its server transaction: Upstream is that.
        const context = new ResponseContext(this.services, upstream as ServerTransaction, request, source, loop);
        context.fork(targets);
        return context;
      },
    });
  }

  /** RFC 3261 16.10: the CANCEL is answered here (200, or 481 when its INVITE is unknown) and cancels the branches. */
  private cancel(cancel: SipRequest, transaction: ServerTransaction): void {
    this.counters.cancels++;
    const invite = this.services.layer.inviteFor(cancel);
    if (!invite) {
      this.answer(transaction, 481);
      return;
    }
    this.answer(transaction, 200);
    if (this.routing.push.cancel?.(invite)) return;
    const context = this.contexts.get(invite);
    if (context) context.cancel();
    else if (!invite.answered) this.cancelledEarly.add(invite);
  }

  private forwardAck(request: SipRequest, source: MessageSource): void {
    this.counters.acks++;
    try {
      const { flows } = preprocessRoutes(request, this.services.identity, this.services.tokens);
      this.stateless.forwardAck(request, flows, flowOf(source)).catch((error: unknown) => {
        this.services.log.debug({ err: error, sip: { callId: request.callId() } }, 'ACK not forwarded');
      });
    } catch (error) {
      this.services.log.debug({ err: error }, 'ACK not forwarded: unreadable');
    }
  }

  private answerOptions(transaction: ServerTransaction): void {
    this.answer(transaction, 200, undefined, [
      ['Allow', ALLOW],
      ['Accept', 'application/sdp'],
    ]);
  }

  private answer(
    transaction: ServerTransaction,
    status: number,
    reason?: string,
    headers?: readonly (readonly [string, string])[],
  ): void {
    // Answered meanwhile (a transport error ended it, or a CANCEL raced the decision): nothing more to say.
    if (transaction.answered || transaction.state === 'terminated') return;
    this.counters.answeredHere++;
    transaction.respond(createResponse(transaction.request, status, reason, headers ? { headers } : {}));
  }

  /** A header that cannot be read gets 400 with the parser's reason; anything else is a bug, answered 500. */
  private failed(error: unknown, transaction: ServerTransaction): void {
    if (transaction.answered) return;
    if (error instanceof SipParseError) {
      this.answer(transaction, 400, error.reason);
      return;
    }
    this.services.log.error(
      { err: error, sip: { callId: transaction.callId, method: transaction.method } },
      'routing a request threw: a bug; answered 500',
    );
    this.answer(transaction, 500);
  }
}
