import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http2';
import { waitFor } from '../wait.js';

/** A push as a device would receive it: what the emulator accepted for its token. */
export interface ReceivedPush {
  headers: IncomingHttpHeaders;
  /** The payload as sent (parsed JSON), i.e. what the app reads. */
  payload: unknown;
  at: number;
}

/**
 * A test "device": registered with an emulator under its token, it is told (event 'push') when the emulator
 * accepts a push for it: the device's wake-up. Tests wait on `pushes` or on the event.
 */
export class TestDevice extends EventEmitter {
  readonly pushes: ReceivedPush[] = [];
  /** Set by unregister(): the provider answers the app was uninstalled. */
  unregisteredAt: number | undefined;

  constructor(
    readonly token: string,
    /** APNs: the topic the token belongs to (`<bundle>.voip` for a PushKit token); FCM: the project id. */
    readonly scope: string,
  ) {
    super();
  }

  receive(push: ReceivedPush): void {
    this.pushes.push(push);
    this.emit('push', push);
  }

  unregister(at = Date.now()): void {
    this.unregisteredAt = at;
  }

  /** Waits until the device has received `count` pushes (bounded; not a sleep). */
  async waitForPushes(count = 1, timeoutMs = 10_000): Promise<ReceivedPush[]> {
    return waitFor(
      `${count} push(es) for device ${this.token.slice(0, 8)}`,
      () => this.pushes.length >= count && this.pushes,
      {
        timeoutMs,
        describe: () => `${this.pushes.length} received`,
      },
    );
  }
}
