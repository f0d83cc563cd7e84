import type { Logger } from '../log.js';
import type { ControlPlane } from '../store/control-plane.js';
import { isNewer, type PublishedRecordSet, type ServedRecordSet } from './record-set.js';

/** Where the published set comes from: a majority read, and a signal when the leader published. */
export interface RecordSetSource {
  /** The highest (term, version) on a majority, or undefined when nothing is published; throws without a majority. */
  read(): Promise<ServedRecordSet | undefined>;
  /** Calls `onSignal` on every publication and whenever a connection (re)opens (a message may have been missed). */
  subscribe(onSignal: () => void): void;
  close(): void;
}

/** The published set in the control plane, signalled on the DNS channel of every lock member. */
export function controlPlaneSource(plane: ControlPlane): RecordSetSource {
  const subscribers: { disconnect(): void }[] = [];
  return {
    async read() {
      const stored = await plane.readVersioned<PublishedRecordSet>(plane.keys.dnsRecords);
      return stored ? { term: stored.term, version: stored.version, set: stored.value } : undefined;
    },
    subscribe(onSignal) {
      for (const member of plane.members) {
        const subscriber = member.client.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
        subscriber.on('error', () => undefined); // reconnects by itself; the periodic read covers the gap
        subscriber.on('ready', onSignal);
        subscriber.on('message', onSignal);
        void subscriber.subscribe(plane.keys.dnsChannel).catch(() => undefined);
        subscribers.push(subscriber);
      }
    },
    close() {
      for (const subscriber of subscribers) subscriber.disconnect();
    },
  };
}

export interface FollowerOptions {
  source: RecordSetSource;
  /** The safety net: a read this often even without any signal (a lost pub/sub message, a member restarted). */
  refreshMs: number;
  log: Logger;
  /** Called with each set newer than the one served; throws when the set cannot be served (the old one stays). */
  onNewer: (served: ServedRecordSet) => void;
}

/**
 * Keeps the newest published record set: re-read on each signal and periodically. Sets only move forward in
 * (term, version): a read that returns an older set than the one served (a lagging majority, a deposed leader's
 * write that reached some member) changes nothing, so a deposed leader's set is never served over a newer one.
 */
export class RecordSetFollower {
  private served: ServedRecordSet | undefined;
  private reading: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** A set that could not be served, so it is not tried (and logged) again on every read. */
  private rejected: string | undefined;
  /** Wall time of the last read that reached a majority. */
  lastReadAt: number | undefined;
  lastError: string | null = null;

  constructor(private readonly options: FollowerOptions) {}

  get current(): ServedRecordSet | undefined {
    return this.served;
  }

  start(): Promise<void> {
    this.options.source.subscribe(() => void this.refresh());
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    return this.refresh();
  }

  /** Reads now; concurrent calls share one read, and a call during a read makes one more read after it. */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        await this.readOnce();
      } while (this.again && !this.closed);
    })().finally(() => (this.reading = undefined));
    return this.reading;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.options.source.close();
  }

  private async readOnce(): Promise<void> {
    let read: ServedRecordSet | undefined;
    try {
      read = await this.options.source.read();
    } catch (error) {
      const message = `cannot read the published DNS records: ${(error as Error).message}`;
      if (message !== this.lastError) this.options.log.warn(message);
      this.lastError = message;
      return;
    }
    this.lastReadAt = Date.now();
    if (!read || !isNewer(read, this.served)) {
      this.lastError = null;
      return;
    }
    const label = `term ${read.term} version ${read.version}`;
    if (this.rejected === label) return; // said once; a newer publication is needed
    try {
      this.options.onNewer(read);
    } catch (error) {
      this.rejected = label;
      this.lastError = `DNS records of ${label} cannot be served: ${(error as Error).message}`;
      this.options.log.error({ err: error }, this.lastError);
      return;
    }
    this.lastError = null;
    const previous = this.served;
    this.served = read;
    const answers = read.set.mode === 'nodes' ? read.set.answering.join(', ') || 'no node' : read.set.vip;
    this.options.log.info(
      { term: read.term, version: read.version, mode: read.set.mode },
      `serving DNS records of ${label} (${read.set.mode} mode: ${answers})` +
        (previous ? `, was term ${previous.term} version ${previous.version}` : ''),
    );
  }
}
