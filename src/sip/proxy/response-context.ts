import { isIPv6 } from 'node:net';
import type { Logger } from '../../log.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Clock, ServerTransaction, TransactionLayer } from '../transaction/index.js';
import { detached } from '../transaction/index.js';
import type { Destination, ListenSpec, MessageSource } from '../transport/index.js';
import { bestResponse, localResponse } from './best-response.js';
import type { BranchTarget } from './branch-target.js';
import { Branch } from './branch.js';
import { flowOf, type FlowTokens } from './flow-token.js';
import { forwardedCopy, ourVia, recordRouteValue } from './forward.js';
import type { LocalIdentity } from './local-identity.js';
import { loopBranch } from './loop-detection.js';
import { resolveNextHop } from './next-hop.js';
import type { PbxPool } from './pbx-pool.js';
import type { PbxTarget, ProxySettings } from './settings.js';

/** What a response context uses from the proxy. */
export interface ContextServices {
  readonly layer: TransactionLayer;
  readonly identity: LocalIdentity;
  readonly tokens: FlowTokens;
  readonly settings: ProxySettings;
  readonly pbx: PbxPool;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Requests that create a dialog, so that the proxy record-routes them (RFC 3261 16.6 step 4). */
const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY']);

/** A status after which the next PBX is tried: the PBX is down or overloaded, not the call refused. */
const FAILOVER_STATUSES = new Set([408, 503]);

/**
 * The response context of one request (RFC 3261 16.7): its branches, the final responses collected, and what goes
 * upstream. Provisional responses (but 100) go up while no final one has; every 2xx of an INVITE goes up at once
 * (and cancels the other branches: the first 2xx wins); a 6xx cancels the other branches; when every branch is done
 * the best final response goes up (see bestResponse). PBX targets are tried one after another: a 503, a timeout or
 * a transport error moves on to the next one. A CANCEL from upstream cancels every pending branch; the 487s that
 * come back are the answer.
 */
export class ResponseContext {
  private readonly branches: Branch[] = [];
  private candidates: SipResponse[] = [];
  private pbxQueue: PbxTarget[] = [];
  /** A final response (for an INVITE: a 2xx or the best non-2xx) went upstream. */
  private finalSent = false;
  /** After a 2xx or a 6xx of an INVITE, or a CANCEL: no new branch may start (16.7 step 6, 16.10). */
  private closed = false;
  private readonly isInvite: boolean;
  private readonly recordRoute: boolean;
  private readonly callId: string;
  /** The request as received, until the context is done (see releaseIfDone). */
  private held: SipRequest | undefined;

  constructor(
    private readonly services: ContextServices,
    private readonly server: ServerTransaction,
    request: SipRequest,
    private readonly source: MessageSource,
    private readonly loop: string,
  ) {
    this.held = request;
    this.callId = detached(request.callId());
    this.isInvite = request.method === 'INVITE';
    this.recordRoute =
      services.settings.recordRoute && DIALOG_CREATING.has(request.method) && request.to().tag === undefined;
    // Nobody left upstream to answer: stop the branches.
    server.events = { transportError: () => this.cancel() };
  }

  /** Only read while a branch may start or end without a response, which is before releaseIfDone. */
  private get request(): SipRequest {
    if (!this.held) throw new Error(`the response context of ${this.callId} was used after it was released`);
    return this.held;
  }

  /** Starts one branch per target, in parallel (none: answered at once, 500, rather than never). */
  fork(targets: readonly BranchTarget[]): void {
    for (const target of targets) this.start(target);
    if (targets.length === 0) this.finishIfDone();
  }

  /** Starts the first PBX target; the others wait for its failure. */
  toPbx(): void {
    this.pbxQueue = this.services.pbx.order();
    this.nextPbx();
  }

  /** The CANCEL of this request arrived (RFC 3261 16.10). */
  cancel(): void {
    this.closed = true;
    this.pbxQueue = [];
    for (const branch of this.branches) {
      if (branch.state !== 'pending') continue;
      branch.failover?.cancel();
      branch.cancel();
    }
  }

  private start(target: BranchTarget): void {
    const branch = new Branch(target);
    this.branches.push(branch);
    this.launch(branch).catch((error: unknown) => {
      this.services.log.debug(
        { err: error, sip: { callId: this.callId, target: target.label } },
        'branch not sent: next hop unusable',
      );
      this.localFailure(branch, 503);
    });
  }

  private async launch(branch: Branch): Promise<void> {
    const { copy, nextHop } = forwardedCopy(this.request, branch.target);
    const resolved = branch.target.destination ?? (await resolveNextHop(nextHop, this.services.identity.families));
    if (this.closed && !this.finalSent) {
      // Cancelled while the next hop was being resolved: never sent, so nothing to cancel downstream.
      branch.state = 'done';
      this.collect(localResponse(this.request, 487));
      return;
    }
    if (this.closed) {
      branch.state = 'done';
      return;
    }
    const listener = this.services.identity.listenerFor(resolved.transport, isIPv6(resolved.address) ? 6 : 4);
    if (!listener) throw new Error(`no listener to send over ${resolved.transport}`);
    const destination: Destination =
      resolved.transport === 'udp'
        ? { ...resolved, local: { address: listener.address, port: listener.port } }
        : resolved;
    if (this.recordRoute) this.addRecordRoutes(copy, listener, branch);
    copy.prependVia(ourVia(listener, loopBranch(this.loop)));
    branch.request = copy;
    branch.state = 'pending';
    branch.transaction = this.services.layer.sendRequest(copy, destination, {
      response: (response) => this.received(branch, response),
      timeout: () => this.localFailure(branch, 408),
      transportError: () => this.localFailure(branch, 503),
    });
    if (this.isInvite) this.armTimerC(branch);
    if (branch.target.pbx && this.pbxQueue.length > 0) {
      branch.failover = this.services.clock.setTimer(this.services.settings.pbx.failoverAfterMs, () => {
        if (branch.state !== 'pending' || branch.provisional) return;
        this.services.log.info(
          { sip: { callId: this.callId, target: branch.target.label } },
          'PBX target silent: trying the next one',
        );
        branch.cancel();
        this.localFailure(branch, 408);
      });
    }
  }

  /**
   * Our Record-Route (with `lr`), carrying the flows of both sides. When the request leaves from another listener
   * than it arrived on (another transport or address family), two are added (RFC 5658), so that each side is told
   * the address it can reach.
   */
  private addRecordRoutes(copy: SipRequest, outbound: ListenSpec, branch: Branch): void {
    const inbound = this.inboundListener();
    const flows = [flowOf(this.source), ...(branch.target.outboundFlow ? [branch.target.outboundFlow] : [])];
    const token = this.services.tokens.encode(flows);
    const same =
      inbound?.transport === outbound.transport &&
      inbound.address === outbound.address &&
      inbound.port === outbound.port;
    if (inbound && !same) {
      copy.headers.prepend('Record-Route', recordRouteValue(inbound, token));
    }
    copy.headers.prepend('Record-Route', recordRouteValue(outbound, token));
  }

  /**
   * What the side the request came from can reach: our listener, or for a client behind HAProxy (PROXY protocol)
   * the frontend it connected to (the VIP), which becomes one of our addresses.
   */
  private inboundListener(): ListenSpec | undefined {
    const frontend = this.source.proxy?.destination;
    if (frontend) {
      this.services.identity.learn(frontend.address, frontend.port);
      return { transport: this.source.transport, address: frontend.address, port: frontend.port };
    }
    // The listener the request reached, when it is one (a node's internal listener for a request from another
    // node, which the other node can reach again); a connection we opened arrives on no listener.
    const { local, transport } = this.source;
    const reached = this.services.identity.listeners.find(
      (l) => l.transport === transport && l.address === local.address && l.port === local.port,
    );
    return reached ?? this.services.identity.listenerFor(transport, isIPv6(this.source.address) ? 6 : 4);
  }

  private armTimerC(branch: Branch): void {
    branch.timerC?.cancel();
    branch.timerC = this.services.clock.setTimer(this.services.settings.timerCMs, () => {
      if (branch.state !== 'pending') return;
      // RFC 3261 16.8: with a provisional, CANCEL (the 487 finishes the branch); without one, act as on a 408.
      branch.cancel();
      if (!branch.provisional) this.localFailure(branch, 408);
    });
  }

  private received(branch: Branch, response: SipResponse): void {
    // Our Via is on top (the transaction matched its branch); upstream never sees it.
    response.removeTopVia();
    const status = response.status;
    if (branch.state === 'done') {
      // A branch given up (failover, Timer C) may still answer 2xx: every 2xx goes up (16.7 step 5).
      if (this.isInvite && status >= 200 && status < 300) this.server.respond(response);
      return;
    }
    if (status < 200) {
      branch.provisional = true;
      branch.failover?.cancel();
      if (status > 100 && this.isInvite) this.armTimerC(branch);
      if (status > 100 && !this.finalSent) this.server.respond(response);
      return;
    }
    branch.state = 'done';
    branch.stopTimers();
    const pbx = branch.target.pbx;
    if (pbx) {
      if (status === 503) this.services.pbx.failed(pbx);
      else this.services.pbx.succeeded(pbx);
    }
    if (status < 300) {
      this.finalSent = true;
      this.server.respond(response);
      if (this.isInvite) this.closeAndCancelOthers(branch);
      this.releaseIfDone();
      return;
    }
    if (status >= 600 && this.isInvite) this.closeAndCancelOthers(branch);
    this.collect(response);
    if (!(pbx && FAILOVER_STATUSES.has(status) && this.nextPbx())) this.finishIfDone();
  }

  /** The branch ended without a response from downstream: a timeout (408) or a transport error (503). */
  private localFailure(branch: Branch, status: 408 | 503): void {
    if (branch.state === 'done') return;
    branch.state = 'done';
    branch.stopTimers();
    const pbx = branch.target.pbx;
    if (pbx) this.services.pbx.failed(pbx);
    this.collect(localResponse(this.request, status));
    if (!(pbx && this.nextPbx())) this.finishIfDone();
  }

  private collect(response: SipResponse): void {
    this.candidates.push(response);
  }

  /** Starts the next PBX target; false when none is left (or the context is closed). */
  private nextPbx(): boolean {
    if (this.closed || this.finalSent) return false;
    const target = this.pbxQueue.shift();
    if (!target) return false;
    const destination: Destination = { transport: target.transport, address: target.address, port: target.port };
    this.start({ destination, pbx: target, label: `pbx ${target.address}:${target.port}` });
    return true;
  }

  private closeAndCancelOthers(winner: Branch): void {
    this.closed = true;
    this.pbxQueue = [];
    for (const branch of this.branches) if (branch !== winner && branch.state === 'pending') branch.cancel();
  }

  private finishIfDone(): void {
    if (!this.finalSent && this.branches.every((branch) => branch.state === 'done')) {
      this.finalSent = true;
      this.server.respond(bestResponse(this.candidates, this.request));
    }
    this.releaseIfDone();
  }

  /**
   * Once answered and with every branch done, the copies and the responses collected are dropped: the client
   * transactions keep this context alive for 32 s more (to pass late 2xx on), and a busy proxy has thousands.
   */
  private releaseIfDone(): void {
    if (!this.finalSent || this.branches.some((branch) => branch.state !== 'done')) return;
    this.candidates = [];
    this.held = undefined;
    for (const branch of this.branches) branch.request = undefined;
  }
}
