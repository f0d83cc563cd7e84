import { followEvents, readEvents, type ClusterEvent } from '../../cluster/events.js';
import type { Session } from '../session.js';

const line = (event: ClusterEvent) =>
  `${event.at}  ${event.node.padEnd(16)} ${event.kind.padEnd(8)} ${event.message}\n`;

/** `clusterctl events [--follow] [--count N]`: the recent history, then (with --follow) new events until Ctrl-C. */
export async function eventsCommand(session: Session, options: { follow?: boolean; count: number }): Promise<void> {
  for (const event of await readEvents(session.plane, options.count)) process.stdout.write(line(event));
  if (!options.follow) return;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  await followEvents(session.plane, (event) => process.stdout.write(line(event)), stop.signal);
}
