import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MessageSource, TransportName } from '../transport/index.js';

/**
 * A flow: how one side of a dialog reached us (RFC 5626 section 5.3's idea). Over a stream it is the connection (a
 * device behind NAT can only be reached on the connection it opened); over UDP it is the address and port the
 * packets came from (the NAT's mapping, which the device's Contact does not show).
 */
export interface Flow {
  readonly transport: TransportName;
  readonly address: string;
  readonly port: number;
  readonly connectionId?: string | undefined;
}

export function flowOf(source: MessageSource): Flow {
  const { transport, address, port, connectionId } = source;
  return connectionId === undefined ? { transport, address, port } : { transport, address, port, connectionId };
}

export function sameFlow(a: Flow, b: Flow): boolean {
  if (a.connectionId !== undefined || b.connectionId !== undefined) return a.connectionId === b.connectionId;
  return a.transport === b.transport && a.address === b.address && a.port === b.port;
}

/**
 * The flow of our Record-Route that an in-dialog request goes to: one that is not the flow it came on. When it came
 * on none of them (the previous hop opened a new connection: another node after an idle timeout closed the old
 * one), an open one is preferred, so that the old connection of the sender is not mistaken for the other side.
 */
export function otherFlow(
  flows: readonly Flow[],
  arrival: Flow,
  isOpen: (connectionId: string) => boolean,
): Flow | undefined {
  const others = flows.filter((flow) => !sameFlow(flow, arrival));
  return others.find((flow) => flow.connectionId === undefined || isOpen(flow.connectionId)) ?? others[0];
}

const MAC_BYTES = 9;
const TRANSPORTS: readonly TransportName[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/**
 * Flow tokens: the flows of both sides of a dialog, written into the user part of our Record-Route URI and read
 * back from the Route of every in-dialog request, so that an in-dialog request reaches a device on its flow even
 * though its Contact names an address behind NAT. The token is authenticated (HMAC with a key of this process):
 * a forged Route cannot make us send to another device's connection. After a restart tokens no longer verify and
 * are ignored, which costs nothing: the connections they named are gone too.
 */
export class FlowTokens {
  /** Tokens made and checked lately: most calls come from flows seen a moment ago, and an HMAC costs more. */
  private readonly encoded = new Map<string, string>();
  private readonly decoded = new Map<string, Flow[]>();

  constructor(private readonly key: Buffer = randomBytes(32)) {}

  /** The user part of a Record-Route URI naming these flows (characters of base64url only: all "unreserved"). */
  encode(flows: readonly Flow[]): string {
    const text = flows.map(writeFlow).join(' ');
    const known = this.encoded.get(text);
    if (known !== undefined) return known;
    const payload = Buffer.from(text, 'utf8');
    const token = `${payload.toString('base64url')}.${this.mac(payload).toString('base64url')}`;
    remember(this.encoded, text, token);
    return token;
  }

  /** The flows of a token, or undefined when it is not one of ours (or was changed). */
  decode(user: string): Flow[] | undefined {
    const known = this.decoded.get(user);
    if (known) return known;
    const flows = this.verify(user);
    if (flows) remember(this.decoded, user, flows);
    return flows;
  }

  private verify(user: string): Flow[] | undefined {
    const dot = user.indexOf('.');
    if (dot <= 0) return undefined;
    const payload = Buffer.from(user.slice(0, dot), 'base64url');
    const mac = Buffer.from(user.slice(dot + 1), 'base64url');
    // Only the canonical spelling is ours: base64 decoding forgives stray characters and unused low bits.
    if (`${payload.toString('base64url')}.${mac.toString('base64url')}` !== user) return undefined;
    if (mac.length !== MAC_BYTES || !timingSafeEqual(mac, this.mac(payload))) return undefined;
    const flows = payload.toString('utf8').split(' ').map(readFlow);
    return flows.every((flow) => flow !== undefined) ? (flows as Flow[]) : undefined;
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}

const CACHE_SIZE = 4096;

/** A bounded cache: emptied when full (cheap, and a miss only costs one HMAC). */
function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(key, value);
}

/** `transport,address,port[,connectionId]`: none of these holds a comma or a space. */
function writeFlow(flow: Flow): string {
  const base = `${flow.transport},${flow.address},${flow.port}`;
  return flow.connectionId === undefined ? base : `${base},${flow.connectionId}`;
}

function readFlow(text: string): Flow | undefined {
  const [transport, address, port, connectionId] = text.split(',');
  if (!TRANSPORTS.includes(transport as TransportName) || !address || !/^\d{1,5}$/.test(port ?? '')) return undefined;
  const flow = { transport: transport as TransportName, address, port: Number(port) };
  return connectionId ? { ...flow, connectionId } : flow;
}
