/*
 * The agent's view of this node's stg-sip-proxy, read from the proxy's own status endpoint (`status:` in its file):
 * GET /metrics (Prometheus text), /status (JSON) and /health (200 ok, 503 with a reason). Every read is bounded by a
 * short timeout and never throws: the agent's own answers must not wait on, or fail with, the proxy.
 */

/** How long a scrape or a health check waits for the proxy: well under a Prometheus scrape timeout. */
export const SIP_PROXY_TIMEOUT_MS = 500;

/** What the proxy answered, or why it did not. */
export type ProxyAnswer =
  { ok: true; status: number; contentType: string; text: string } | { ok: false; reason: string };

/** GET `path` on the proxy's status endpoint, within `timeoutMs`. */
export async function getFromProxy(
  statusUrl: string,
  path: '/metrics' | '/status' | '/health',
  timeoutMs = SIP_PROXY_TIMEOUT_MS,
): Promise<ProxyAnswer> {
  try {
    const response = await fetch(new URL(path, statusUrl), { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    return { ok: true, status: response.status, contentType: response.headers.get('content-type') ?? '', text };
  } catch (error) {
    return { ok: false, reason: unreachableReason(error) };
  }
}

/** A short reason: the connection error's code (ECONNREFUSED), or that it timed out. */
function unreachableReason(error: unknown): string {
  const err = error as { name?: string; cause?: { code?: string }; message?: string };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
  return err.cause?.code ?? err.message ?? String(error);
}

/**
 * The agent's metrics text followed by the proxy's, and `stg_sip_proxy_up`. A metric family the agent already
 * exports (both may export the process metrics under the same prefix) is left out of the proxy's part: Prometheus
 * refuses a scrape with a family twice.
 */
export function mergeMetrics(agentText: string, proxy: ProxyAnswer): string {
  const up = proxy.ok && proxy.status === 200;
  const own = familiesIn(agentText);
  const lines = [agentText.trimEnd()];
  if (up) lines.push(...withoutFamilies(proxy.text, own));
  lines.push(
    "# HELP stg_sip_proxy_up 1 when this node's stg-sip-proxy answered its /metrics in time, else 0.",
    '# TYPE stg_sip_proxy_up gauge',
    `stg_sip_proxy_up ${up ? 1 : 0}`,
  );
  return `${lines.filter((line) => line !== '').join('\n')}\n`;
}

function familiesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^# (?:HELP|TYPE) (\S+)/gm)) names.add(match[1]!);
  return names;
}

/** The lines of `text` that belong to no family in `skip` (samples follow their family's HELP/TYPE). */
function withoutFamilies(text: string, skip: Set<string>): string[] {
  const kept: string[] = [];
  let family: string | undefined;
  for (const line of text.split('\n')) {
    const comment = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    if (comment) family = comment[1];
    else if (!line.startsWith('#')) {
      const name = /^[^\s{]+/.exec(line)?.[0];
      // A sample outside the family announced before it (no HELP/TYPE of its own) is its own family.
      if (name !== undefined && (family === undefined || !name.startsWith(family))) family = name;
    }
    if (family !== undefined && skip.has(family)) continue;
    if (family === 'stg_sip_proxy_up') continue; // ours, added after
    kept.push(line);
  }
  return kept;
}
