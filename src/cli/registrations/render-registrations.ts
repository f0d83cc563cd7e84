import Table from 'cli-table3';
import { PLAIN_TABLE as plain } from '../table-style.js';
import type { AorSummary, BindingReport } from './read-registrations.js';

/** `clusterctl registrations`: one line per AOR, then the totals. */
export function renderRegistrationList(summaries: readonly AorSummary[]): string {
  if (summaries.length === 0) return 'No registrations (no fs:* record in the data Redis).';
  const table = new Table({ head: ['AOR', 'Contacts', 'Pushable', 'Nodes', 'Expired'], ...plain });
  for (const summary of summaries) {
    table.push([
      summary.aor,
      String(summary.live),
      String(summary.pushable),
      summary.proxies.map((id, index) => summary.nodes[index] ?? `${id} (fs-proxy-id)`).join(', ') || '-',
      String(summary.stale),
    ]);
  }
  const contacts = summaries.reduce((sum, summary) => sum + summary.live, 0);
  return `${trimLines(table.toString())}\n\n${summaries.length} address(es) of record, ${contacts} live contact(s).`;
}

/** `clusterctl registrations AOR`: each binding as a block of named lines. */
export function renderRegistration(aor: string, bindings: readonly BindingReport[]): string {
  if (bindings.length === 0) return `${aor}: not registered (no fs:${aor} record).`;
  const live = bindings.filter((binding) => (binding.expiresInS ?? 0) > 0).length;
  const blocks = bindings.map((binding) => {
    const table = new Table(plain);
    const row = (name: string, value: string) => table.push({ [name]: value });
    row('Field', binding.field);
    if (binding.error !== null) {
      row('UNREADABLE', binding.error);
      return trimLines(table.toString());
    }
    const expires = binding.expiresInS ?? 0;
    row('Contact', binding.contact ?? '-');
    row('Instance', binding.instance ?? '-');
    row('Expires in', expires > 0 ? `${expires} s` : `EXPIRED ${-expires} s ago (removed at the next REGISTER)`);
    row('Node', binding.node ?? (binding.proxyId ? `${binding.proxyId} (fs-proxy-id)` : '- (no Path: this proxy)'));
    row('Connection', binding.connectionId ?? '-');
    row('Push', binding.push ? `${binding.push.provider} ${binding.push.app}` : '-');
    row('User-Agent', binding.userAgent ?? '-');
    row('Call-ID/CSeq', `${binding.callId ?? '-'} ${binding.cseq ?? '-'}`);
    row('Updated at', binding.updatedAt ?? '-');
    return trimLines(table.toString());
  });
  return [`${aor}: ${live} live contact(s), ${bindings.length - live} expired or unreadable`, ...blocks].join('\n\n');
}

/** cli-table3 pads every cell, the last one too: no trailing blanks (they get in the way of grep and diff). */
function trimLines(text: string): string {
  return text.replace(/[ \t]+$/gm, '');
}
