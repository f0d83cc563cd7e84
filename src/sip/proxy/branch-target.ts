import type { Uri } from '../message/index.js';
import type { Destination } from '../transport/index.js';
import type { Flow } from './flow-token.js';
import type { PbxTarget } from './settings.js';

/** Where one branch of a request goes (RFC 3261 16.5-16.6): what the routing decision hands to the forwarding. */
export interface BranchTarget {
  /** The new Request-URI (a registered contact); absent: the Request-URI stays as it is. */
  readonly uri?: Uri | undefined;
  /** Route values put in front of the request's own (a contact's Path), top first, each `<uri>`. */
  readonly preRoutes?: readonly string[] | undefined;
  /** Where to send, when it is known already (a flow, a PBX); absent: the next hop is resolved from the URI. */
  readonly destination?: Destination | undefined;
  /** The flow the request leaves on toward a device (named in our Record-Route's flow token). */
  readonly outboundFlow?: Flow | undefined;
  /** Set for a PBX target: a 503, a timeout or a transport error moves on to the next PBX. */
  readonly pbx?: PbxTarget | undefined;
  /** For logs. */
  readonly label: string;
}
