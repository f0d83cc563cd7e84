import {
  parseDatagram,
  SipRequest,
  SipResponse,
  SipUri,
  parseUri,
  type SipMessage,
} from '../../../../src/sip/message/index.js';
import {
  ProxyCore,
  DEFAULT_PROXY_SETTINGS,
  type ContactLookup,
  type LiveContact,
  type ProxySettings,
  type ProxyTransport,
} from '../../../../src/sip/proxy/index.js';
import { TransactionLayer } from '../../../../src/sip/transaction/index.js';
import {
  applyReceived,
  type Destination,
  type ListenSpec,
  type MessageSource,
} from '../../../../src/sip/transport/index.js';
import { FakeClock, settle, silentLog } from '../transaction/harness.js';

export { settle };

export const PROXY: ListenSpec = { transport: 'udp', address: '192.0.2.10', port: 5060 };
export const PROXY_TCP: ListenSpec = { transport: 'tcp', address: '192.0.2.10', port: 5060 };
export const PBX1 = { transport: 'udp' as const, address: '192.0.2.50', port: 5060 };
export const PBX2 = { transport: 'udp' as const, address: '192.0.2.51', port: 5060 };
export const DOMAIN = 'sips.example.test';

export interface SentMessage {
  readonly message: SipMessage;
  readonly destination: Destination;
}

/** Records what the proxy sends (read back with the parser); fails sends to chosen addresses. */
export class FakeTransport implements ProxyTransport {
  readonly sent: SentMessage[] = [];
  readonly unreachable = new Set<string>();
  readonly connections = new Set<string>();

  constructor(private readonly bound: readonly ListenSpec[]) {}

  async send(message: SipMessage | Buffer, destination: Destination): Promise<void> {
    if (this.unreachable.has(destination.address)) throw new Error(`no route to ${destination.address}`);
    if (destination.connectionOnly && !this.connections.has(destination.connectionId ?? '')) {
      throw new Error(`connection ${destination.connectionId} is gone`);
    }
    const bytes = Buffer.isBuffer(message) ? message : message.toBuffer();
    this.sent.push({ message: parseDatagram(bytes), destination });
  }

  hasConnection(connectionId: string): boolean {
    return this.connections.has(connectionId);
  }

  listeners(): readonly ListenSpec[] {
    return this.bound;
  }

  /** Everything sent to an address, in order (and, with `take`, forgotten). */
  to(address: string): SentMessage[] {
    return this.sent.filter((s) => s.destination.address === address);
  }

  requestsTo(address: string, method?: string): SipRequest[] {
    return this.to(address)
      .map((s) => s.message)
      .filter((m): m is SipRequest => m instanceof SipRequest && (method === undefined || m.method === method));
  }

  responsesTo(address: string): SipResponse[] {
    return this.to(address)
      .map((s) => s.message)
      .filter((m): m is SipResponse => m instanceof SipResponse);
  }

  statusesTo(address: string): number[] {
    return this.responsesTo(address).map((r) => r.status);
  }
}

/** A registrar stand-in: contacts by AOR, GRUUs by their text. */
export class FakeContacts implements ContactLookup {
  readonly byAor = new Map<string, LiveContact[]>();
  readonly byGruu = new Map<string, LiveContact>();
  lookups = 0;

  async lookup(aor: string): Promise<readonly LiveContact[]> {
    this.lookups++;
    return this.byAor.get(aor) ?? [];
  }

  async lookupGruu(uri: SipUri): Promise<LiveContact | undefined> {
    return this.byGruu.get(uri.toString());
  }
}

export function contact(uri: string, extra: Partial<LiveContact> = {}): LiveContact {
  return { uri: parseUri(uri, 'Contact') as SipUri, path: [], ...extra };
}

export const DEVICE: MessageSource = {
  transport: 'udp',
  address: '203.0.113.5',
  port: 40000,
  local: { address: PROXY.address, port: PROXY.port },
};

export function fromPbx(pbx = PBX1): MessageSource {
  return {
    transport: 'udp',
    address: pbx.address,
    port: pbx.port,
    local: { address: PROXY.address, port: PROXY.port },
  };
}

export interface Setup {
  readonly clock: FakeClock;
  readonly transport: FakeTransport;
  readonly layer: TransactionLayer;
  readonly core: ProxyCore;
  readonly contacts: FakeContacts;
  readonly pushed: string[];
  /** Delivers a message to the proxy as if it came from `source`. */
  deliver(message: string | SipMessage, source?: MessageSource): Promise<void>;
}

export function setup(
  settings: Partial<ProxySettings> = {},
  listeners: readonly ListenSpec[] = [PROXY, PROXY_TCP],
): Setup {
  const clock = new FakeClock();
  const transport = new FakeTransport(listeners);
  const layer = new TransactionLayer({ sender: transport, clock, log: silentLog });
  const contacts = new FakeContacts();
  const pushed: string[] = [];
  const core = new ProxyCore({
    transport,
    layer,
    settings: {
      ...DEFAULT_PROXY_SETTINGS,
      domains: [DOMAIN],
      pbx: { targets: [PBX1, PBX2], failoverAfterMs: 2000, quarantineMs: 30_000 },
      ...settings,
    },
    contacts,
    push: { noReachableContact: (aor) => pushed.push(aor) },
    log: silentLog,
  });
  return {
    clock,
    transport,
    layer,
    core,
    contacts,
    pushed,
    deliver: async (message, source = DEVICE) => {
      const parsed = typeof message === 'string' ? parseDatagram(Buffer.from(message)) : message;
      // What the transport layer does on the way in (RFC 3581): answers then go back to the source.
      if (parsed instanceof SipRequest) applyReceived(parsed, source);
      layer.receive(parsed, source);
      await settle();
    },
  };
}

let counter = 0;

/** A request as text (CRLF line ends added). `headers` go after the usual ones. */
export function requestText(
  method: string,
  uri: string,
  options: {
    branch?: string;
    callId?: string;
    cseq?: number;
    toTag?: string;
    maxForwards?: string | undefined;
    headers?: string[];
    via?: string;
  } = {},
): string {
  const branch = options.branch ?? `z9hG4bKdev${++counter}`;
  const { callId = 'call-1@203.0.113.5', cseq = 1, toTag = '', headers = [] } = options;
  const maxForwards = 'maxForwards' in options ? options.maxForwards : '70';
  const via = options.via ?? `SIP/2.0/UDP 203.0.113.5:40000;branch=${branch};rport`;
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: ${via}`,
    ...(maxForwards === undefined ? [] : [`Max-Forwards: ${maxForwards}`]),
    `From: <sip:alice@${DOMAIN}>;tag=alice1`,
    `To: <${uri}>${toTag ? `;tag=${toTag}` : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:alice@203.0.113.5:40000>`,
    ...headers,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** The response a downstream element would send to a forwarded request (Vias copied, To tag added). */
export function answer(request: SipRequest, status: number, toTag = 'bob1', headers: string[] = []): SipResponse {
  const lines = [
    `SIP/2.0 ${status} Reason`,
    ...request.headers.lines('via').map((via) => `Via: ${via}`),
    ...request.headers.lines('record-route').map((rr) => `Record-Route: ${rr}`),
    `From: ${request.headers.get('from')}`,
    `To: ${request.headers.get('to')}${status > 100 && !request.to().tag ? `;tag=${toTag}` : ''}`,
    `Call-ID: ${request.callId()}`,
    `CSeq: ${request.headers.get('cseq')}`,
    ...headers,
    'Content-Length: 0',
    '',
    '',
  ];
  return parseDatagram(Buffer.from(lines.join('\r\n'))) as SipResponse;
}
