import type { Redis } from 'ioredis';
import { readPushBindings } from './bindings.js';
import { newJob, type PushJob } from './job.js';
import type { PushKeys } from './keys.js';
import { waitForOutcomes, type PushOutcome } from './outcome.js';
import { shortToken, targetFor } from './push-target.js';
import { enqueuePush } from './queue.js';

/** One device's line in `clusterctl push test`: what was sent where and the provider's answer, or why nothing was. */
export interface PushTestLine {
  instance: string;
  provider?: string;
  token?: string;
  outcome?: PushOutcome;
  /** Why no push was queued, or why no outcome came. */
  note?: string;
}

export interface PushTestOptions {
  aor: string;
  redis: Redis;
  /** A connection of its own for the blocking wait. */
  waiter: Redis;
  keys: PushKeys;
  /** The pushes' deadline (the call timeout they stand for); the command waits this long plus a margin. */
  timeoutMs: number;
  purpose: 'call' | 'message';
}

/**
 * Queues one test push per device of an AOR, through the same queue and workers as real pushes, and waits for
 * every outcome (a blocking read, see outcome.ts). Devices without usable push parameters, or whose binding
 * expired, get a line saying why and no push.
 */
export async function runPushTest(options: PushTestOptions): Promise<PushTestLine[]> {
  const bindings = await readPushBindings(options.redis, options.aor);
  const lines: PushTestLine[] = [];
  const queued: { line: PushTestLine; job: PushJob }[] = [];
  for (const binding of bindings) {
    if (!binding.destinations.ok) {
      lines.push({ instance: binding.instance, note: binding.destinations.error });
      continue;
    }
    const target = targetFor(binding.destinations.value, options.purpose);
    if (!target.ok) {
      lines.push({ instance: binding.instance, provider: binding.destinations.value.provider, note: target.error });
      continue;
    }
    const line: PushTestLine = {
      instance: binding.instance,
      provider:
        target.value.provider === 'apns'
          ? `apns/${target.value.service}${target.value.environment === 'sandbox' ? ' (sandbox)' : ''}`
          : 'fcm',
      token: shortToken(target.value.token),
      ...(binding.expired ? { note: 'binding expired (sent anyway)' } : {}),
    };
    const job = newJob({
      kind: 'test',
      aor: options.aor,
      instance: binding.instance,
      target: target.value,
      call: {
        callId: `stg-push-test-${Date.now().toString(36)}`,
        fromUri: `sip:push-test@${options.aor.split('@')[1] ?? 'localhost'}`,
        displayName: 'Push test',
        locKey: options.purpose === 'message' ? 'IM_MSG' : 'IC_MSG',
      },
      timeoutMs: options.timeoutMs,
    });
    await enqueuePush(options.redis, options.keys, job);
    lines.push(line);
    queued.push({ line, job });
  }
  // A worker ends each job by its deadline; the margin covers the recording and a worker taking over.
  const outcomes = await waitForOutcomes(
    options.waiter,
    options.keys,
    queued.map(({ job }) => job.id),
    options.timeoutMs + 5000,
  );
  for (const { line, job } of queued) {
    const outcome = outcomes.get(job.id);
    if (outcome) line.outcome = outcome;
    else line.note = 'no outcome: is a push worker running on this data Redis and queue prefix?';
  }
  return lines;
}

export function renderPushTest(aor: string, lines: readonly PushTestLine[]): string {
  if (lines.length === 0) return `push test ${aor}: no registered device (no fs:${aor} record)`;
  const rows = lines.map((line) => [
    line.instance,
    line.provider ?? '-',
    line.token ?? '-',
    line.outcome ? `${line.outcome.state}${line.outcome.reason ? ` (${line.outcome.reason})` : ''}` : 'not sent',
    [
      line.outcome
        ? `${line.outcome.answer}${line.outcome.attempts > 1 ? `, ${line.outcome.attempts} attempts` : ''}`
        : '',
      line.note ?? '',
    ]
      .filter(Boolean)
      .join('; '),
  ]);
  const header = ['DEVICE', 'PROVIDER', 'TOKEN', 'OUTCOME', 'PROVIDER ANSWER'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: string[]) =>
    row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  const delivered = lines.filter((line) => line.outcome?.state === 'delivered').length;
  return [
    `push test ${aor}: ${delivered}/${lines.length} device(s) reached their provider`,
    format(header),
    ...rows.map(format),
  ].join('\n');
}
