import type { Redis } from 'ioredis';
import type { Logger } from '../../log.js';

/** A listener's registration: `ready` settles once Redis confirmed the subscription; `close` ends it. */
export interface RegistrationSubscription {
  readonly ready: Promise<void>;
  close(): void;
}

/**
 * Wakes whoever waits for a device to register: after every change of a binding the store publishes the field on
 * the AOR's channel (the AOR without `fs:`, as Flexisip does: `PUBLISH 40004*01@sips.example.es "<urn:uuid:...>"`),
 * so a Flexisip node sharing the Redis wakes our waiters and ours wake its pending forks.
 *
 * It needs a connection of its own (a subscribed Redis connection can do nothing else). One SUBSCRIBE per AOR
 * however many listeners it has; UNSUBSCRIBE when the last one leaves. ioredis subscribes again after a reconnect,
 * but a message published while the link was down is lost: a waiter re-reads the bindings (lookup) after `ready`,
 * and should not count on a message alone (vip-manager's lesson: re-read after re-arming a watch).
 */
export class RegistrationEvents {
  private readonly listeners = new Map<string, Set<(field: string) => void>>();
  private readonly subscribing = new Map<string, Promise<void>>();

  constructor(
    private readonly subscriber: Redis,
    private readonly log: Logger,
  ) {
    subscriber.on('message', (channel: string, field: string) => {
      for (const listener of this.listeners.get(channel) ?? []) {
        try {
          listener(field);
        } catch (error) {
          this.log.error({ err: error, sip: { aor: channel } }, 'a registration listener threw (a bug)');
        }
      }
    });
  }

  /** Calls `listener(field)` each time a binding of `aor` (`user@host`) is added, refreshed or removed. */
  onRegistered(aor: string, listener: (field: string) => void): RegistrationSubscription {
    let set = this.listeners.get(aor);
    if (!set) {
      set = new Set();
      this.listeners.set(aor, set);
    }
    set.add(listener);
    let ready = this.subscribing.get(aor);
    if (!ready) {
      ready = this.subscriber.subscribe(aor).then(() => undefined);
      this.subscribing.set(aor, ready);
      // A failed SUBSCRIBE is the caller's to see through `ready`; here it must not be an unhandled rejection.
      ready.catch((error: Error) => {
        this.subscribing.delete(aor);
        this.log.warn({ err: error, sip: { aor } }, `cannot subscribe to registrations of ${aor}: ${error.message}`);
      });
    }
    let closed = false;
    return {
      ready,
      close: () => {
        if (closed) return;
        closed = true;
        const current = this.listeners.get(aor);
        current?.delete(listener);
        if (current && current.size === 0) {
          this.listeners.delete(aor);
          this.subscribing.delete(aor);
          this.subscriber.unsubscribe(aor).catch(() => undefined);
        }
      },
    };
  }

  /** AORs with at least one listener. */
  get watched(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.subscribing.clear();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}
