import { defaultQueueSettings, loadPushConfig } from './config.js';
import { connectDataStore, readDataStoreEndpoint } from './data-store.js';
import { normalizeAor } from './bindings.js';
import { PushKeys } from './keys.js';
import { renderPushTest, runPushTest } from './push-test.js';

/** clusterctl's `push test`: connects, runs the test, prints the table; returns the exit code. */
export async function pushTestCommand(options: {
  aor: string;
  nodeFile: string;
  pushConfig?: string;
  timeoutMs: number;
  purpose: 'call' | 'message';
}): Promise<number> {
  const endpoint = readDataStoreEndpoint(options.nodeFile);
  const queue = options.pushConfig ? loadPushConfig(options.pushConfig).queue : defaultQueueSettings();
  const aor = normalizeAor(options.aor);
  const redis = connectDataStore(endpoint, 'clusterctl-push-test');
  const waiter = redis.duplicate();
  waiter.on('error', () => undefined);
  try {
    const lines = await runPushTest({
      aor,
      redis,
      waiter,
      keys: new PushKeys(queue.prefix),
      timeoutMs: options.timeoutMs,
      purpose: options.purpose,
    });
    process.stdout.write(`${renderPushTest(aor, lines)}\n`);
    return lines.length > 0 && lines.every((line) => line.outcome?.state === 'delivered') ? 0 : 1;
  } finally {
    redis.disconnect();
    waiter.disconnect();
  }
}
