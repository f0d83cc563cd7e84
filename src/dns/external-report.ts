import type { ControlPlane } from '../store/control-plane.js';
import type { ExternalUpdateStatus } from './external/index.js';

/** What `clusterctl status` and `clusterctl dns` read: the leader's updater state, or why there is none. */
export interface ExternalDnsReport {
  node: string;
  term: number;
  at: string;
  /** The updater's state; undefined when the configuration could not be used (see `problem`). */
  updater: ExternalUpdateStatus | undefined;
  problem: string | undefined;
}

/** The newest report a majority of lock members hold (undefined: external DNS not in use, or no leader lately). */
export async function readExternalDnsReport(plane: ControlPlane): Promise<ExternalDnsReport | undefined> {
  const answers = await plane.onMajority((member) => member.client.get(plane.keys.dnsExternal));
  let newest: ExternalDnsReport | undefined;
  for (const answer of answers) {
    if (!answer.ok || !answer.value) continue;
    try {
      const report = JSON.parse(answer.value) as ExternalDnsReport;
      if (!newest || report.term > newest.term || (report.term === newest.term && report.at > newest.at))
        newest = report;
    } catch {
      // a damaged copy: the others tell
    }
  }
  return newest;
}

/**
 * One line for `clusterctl status`: where the external server stands, what it holds, and what failed (undefined:
 * configured, but no leader refreshed its report, every second, within its 5 s life).
 */
export function describeExternalDns(report: ExternalDnsReport | undefined, now = Date.now()): string {
  if (!report) return 'External DNS: configured, but no leader reported on it in the last 5 s';
  const by = `leader ${report.node}, term ${report.term}`;
  if (!report.updater) return `External DNS: NOT UPDATED (${by}): ${report.problem ?? 'no updater'}`;
  const { server, zone, state, lastSuccess, lastFailure, consecutiveFailures, pending } = report.updater;
  const where = `External DNS ${server} (zone ${zone})`;
  const records = (set: { a: string[]; aaaa: string[] }) => [...set.a, ...set.aaaa].join(', ') || 'no address';
  if (state === 'in-sync' && lastSuccess) {
    return `${where}: in sync, ${lastSuccess.records.name} -> ${records(lastSuccess.records)} (${by})`;
  }
  const wanted = pending ? `; wants ${pending.records.name} -> ${records(pending.records)}` : '';
  if (lastFailure && (state === 'retrying' || state === 'invalid')) {
    const retry = lastFailure.nextRetryAt
      ? `, next try in ${Math.max(0, Math.round((Date.parse(lastFailure.nextRetryAt) - now) / 1000))} s`
      : '';
    return `${where}: FAILING (${consecutiveFailures} in a row${retry}): ${lastFailure.reason}${wanted} (${by})`;
  }
  return `${where}: ${state}${wanted} (${by})`;
}
