import type { Logger } from '../log.js';
import type { Responder } from './responder.js';
import { TcpListener } from './tcp-listener.js';
import { UdpListener } from './udp-listener.js';

/** How often an address that could not be bound is tried again (a VIP may appear later, a port be freed). */
const RETRY_MS = 2000;

/** One listening address as `clusterctl dns` shows it. */
export interface EndpointState {
  address: string;
  port: number;
  udp: boolean;
  tcp: boolean;
  /** Why it is not (fully) listening, or null. */
  error: string | null;
}

interface Endpoint {
  address: string;
  port: number;
  udp: UdpListener | undefined;
  tcp: TcpListener | undefined;
  error: string | null;
}

const keyOf = (address: string, port: number) => `${address}|${port}`;

/**
 * The UDP and TCP listeners on every wanted address. `want` replaces the wanted set: listeners no longer wanted
 * are closed, new ones bound; an address that cannot be bound is retried every few seconds, so a server started
 * before its VIP exists (on a host without ip_nonlocal_bind) answers there once it does.
 */
export class ListenerSet {
  private readonly endpoints = new Map<string, Endpoint>();
  private converging: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly responder: Responder,
    private readonly log: Logger,
  ) {}

  /** Sets the wanted addresses; resolves once each was bound or failed (failures are retried in the background). */
  want(addresses: readonly string[], port: number): Promise<void> {
    const wanted = new Map(addresses.map((address) => [keyOf(address, port), { address, port }]));
    return this.serialized(async () => {
      for (const [key, endpoint] of this.endpoints) {
        if (wanted.has(key)) continue;
        this.endpoints.delete(key);
        await Promise.all([endpoint.udp?.close(), endpoint.tcp?.close()]);
        this.log.info(`stopped listening on ${endpoint.address}:${endpoint.port}`);
      }
      for (const [key, { address, port: wantedPort }] of wanted) {
        if (!this.endpoints.has(key)) {
          this.endpoints.set(key, { address, port: wantedPort, udp: undefined, tcp: undefined, error: null });
        }
      }
      await this.bindMissing();
    });
  }

  states(): EndpointState[] {
    return [...this.endpoints.values()].map(({ address, port, udp, tcp, error }) => ({
      address,
      port,
      udp: udp !== undefined,
      tcp: tcp !== undefined,
      error,
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.converging;
    await Promise.all(
      [...this.endpoints.values()].flatMap((endpoint) => [endpoint.udp?.close(), endpoint.tcp?.close()]),
    );
    this.endpoints.clear();
  }

  private serialized(work: () => Promise<void>): Promise<void> {
    this.converging = this.converging.then(work, work);
    return this.converging;
  }

  private async bindMissing(): Promise<void> {
    if (this.closed) return;
    for (const endpoint of this.endpoints.values()) {
      const { address, port } = endpoint;
      const problems: string[] = [];
      if (!endpoint.udp) {
        try {
          endpoint.udp = await UdpListener.bind(address, port, this.responder, this.log);
        } catch (error) {
          problems.push(`UDP: ${(error as Error).message}`);
        }
      }
      if (!endpoint.tcp) {
        try {
          endpoint.tcp = await TcpListener.bind(address, port, this.responder, this.log);
        } catch (error) {
          problems.push(`TCP: ${(error as Error).message}`);
        }
      }
      const error = problems.length > 0 ? problems.join('; ') : null;
      if (error !== endpoint.error) {
        if (error) this.log.warn({ address, port }, `cannot listen on ${address}:${port} (retrying): ${error}`);
        else this.log.info({ address, port }, `listening on ${address}:${port} (UDP and TCP)`);
      }
      endpoint.error = error;
    }
    clearTimeout(this.timer);
    if (!this.closed && [...this.endpoints.values()].some((endpoint) => endpoint.error)) {
      this.timer = setTimeout(() => void this.serialized(() => this.bindMissing()), RETRY_MS);
    }
  }
}
