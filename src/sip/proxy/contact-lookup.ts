import type { SipRequest, SipResponse, SipUri } from '../message/index.js';
import type { ServerTransaction, ServerTransactionEvents } from '../transaction/index.js';
import type { BranchTarget } from './branch-target.js';
import type { MessageSource } from '../transport/index.js';

/** A live binding of an address of record, as the proxy needs it to reach the device. */
export interface LiveContact {
  /** The address of record (`user@host`, as the registrar keys it) the binding belongs to. */
  readonly aor?: string | undefined;
  /** The contact URI to put in the Request-URI, internal parameters (fs-conn-id, callid, expires...) removed. */
  readonly uri: SipUri;
  /** The stored Path (RFC 3327), top first: sent as Route headers ahead of the request. */
  readonly path: readonly SipUri[];
  /** The connection the device registered over (fs-conn-id): meaningful only on the node that holds it. */
  readonly connectionId?: string | undefined;
  /**
   * How this process reaches that flow (the REGISTER's source) when it holds it: the connection of a stream, the
   * address and port a UDP device behind NAT sent from. Absent when another node (or nobody any more) holds it.
   */
  readonly flow?: MessageSource | undefined;
  /** The raw +sip.instance value. */
  readonly instance?: string | undefined;
  /** True when the contact carries push parameters (RFC 8599 or legacy): a push could wake it. */
  readonly pushable?: boolean | undefined;
  readonly q?: number | undefined;
}

/**
 * How the proxy finds registered devices. The registrar (src/sip/registrar/) provides it from the data Redis;
 * tests give a fake.
 */
export interface ContactLookup {
  /** The live contacts of an address of record (`user@host`, as the registrar keys it). */
  lookup(aor: string): Promise<readonly LiveContact[]>;
  /** The contact a GRUU (RFC 5627: a URI with `gr`) stands for, if it is registered. */
  lookupGruu(uri: SipUri): Promise<LiveContact | undefined>;
}

/** No registrar: nobody is registered. */
export const NO_CONTACTS: ContactLookup = {
  lookup: async () => [],
  lookupGruu: async () => undefined,
};

/**
 * Where issue 8 plugs in push notifications. `noReachableContact` is told when a request for a user of our domains
 * finds no contact it can reach now and is answered 480. With `shouldWait`/`wait`/`cancel` (push-wait.ts), a request
 * whose AOR has a contact a push can wake is handed over instead: pushed, kept waiting for the device to register
 * again (the registrar publishes each new binding on the AOR's channel), and forwarded through `forward`.
 */
export interface PushHook {
  noReachableContact(aor: string, request: SipRequest, unreachable: readonly LiveContact[]): void;
  /**
   * Issue 8 (push-wait.ts): true when the request should be forked and kept by the push hook (fork-late) rather
   * than forwarded to the live contacts only, or answered 480 when there are none.
   */
  shouldWait?(aor: string, request: SipRequest, contacts: readonly LiveContact[]): boolean;
  /** Takes over a request `shouldWait` accepted: the hook answers it, now or once a device woke. */
  wait?(waiting: WaitingRequest): void;
  /** A CANCEL for an INVITE: true when that INVITE was waiting here (the hook then ends it with 487). */
  cancel?(invite: ServerTransaction): boolean;
}

/** Where responses of a forwarding go: the server transaction, or a push wait that filters them first. */
export interface Upstream {
  respond(response: SipResponse): boolean;
  events: ServerTransactionEvents;
}

/** A request handed to the push hook, with the proxy's means to forward it once a device can be reached. */
export interface WaitingRequest {
  readonly aor: string;
  readonly request: SipRequest;
  readonly transaction: ServerTransaction;
  /** Every live binding of the AOR: some reachable now (forked at once), others asleep (pushed). */
  readonly contacts: readonly LiveContact[];
  /** The branch to a contact when this node can reach it now (its flow, a foreign Path, UDP), else undefined. */
  targetOf(contact: LiveContact): BranchTarget | undefined;
  /** Starts a response context on these targets whose responses go to `upstream`; returns its CANCEL. */
  forward(targets: readonly BranchTarget[], upstream: Upstream): { cancel(): void };
}

export const NO_PUSH: PushHook = { noReachableContact: () => undefined };
