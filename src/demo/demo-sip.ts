import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { Endpoint } from './demo-files.js';

/** stg-sip-proxy's program, run by each node's agent as the `sip-proxy` process resource. */
export const SIP_PROXY_MAIN = fileURLToPath(new URL('../sip/main.js', import.meta.url));

/** The proxy's file, in each node's folder: the resource's command names it relative to its agent's folder. */
export const SIP_PROXY_FILE = 'sip-proxy.yaml';

/**
 * Fixed ports, so that the banner can name them: node i (0-based) listens for SIP on 5070 + 2i (UDP and TCP) and
 * serves its status for its agent on the next port (5071 + 2i): stg1 5070/5071, stg2 5072/5073, stg3 5074/5075.
 */
export const FIRST_SIP_PORT = 5070;

export function sipPorts(index: number): { sip: number; status: number } {
  return { sip: FIRST_SIP_PORT + 2 * index, status: FIRST_SIP_PORT + 2 * index + 1 };
}

/** The agent's `sipProxy` block: where it reads its proxy's /status, /metrics and /health. */
export function sipProxyOfNode(index: number): { statusUrl: string } {
  return { statusUrl: `http://127.0.0.1:${sipPorts(index).status}` };
}

/**
 * The `sip-proxy` resource of the demo's definition: one proxy on every node. The definition is the same for every
 * node, as in a real cluster where each host keeps its proxy file at the same path; here the nodes share a host, so
 * the path is relative and each agent runs in its own folder (DIR/stgN), where its node's file is.
 */
export function sipProxyResource() {
  return {
    id: 'sip-proxy',
    kind: 'process',
    command: [process.execPath, SIP_PROXY_MAIN, '--config', SIP_PROXY_FILE],
    placement: 'every-node',
    monitorIntervalMs: 2000,
  };
}

/**
 * Writes DIR/stgN/sip-proxy.yaml (schema: src/sip/config.ts): UDP and TCP on 127.0.0.1, the registrar on the demo's
 * data Redis for the demo's domain, a Path naming the node (its proxyId is the node id, so that `clusterctl
 * registrations` shows which node holds a device's connection), and the status endpoint for the agent.
 */
export function writeSipProxyFile(
  stateDir: string,
  node: string,
  index: number,
  dataStore: Endpoint,
  domain: string,
): string {
  const { sip, status } = sipPorts(index);
  const config = {
    node,
    listen: [
      { transport: 'udp', address: '127.0.0.1', port: sip },
      { transport: 'tcp', address: '127.0.0.1', port: sip },
    ],
    // Every demo client is on loopback: no per-source rate limit gets in the way of a sipp run.
    limits: { exemptSources: ['127.0.0.1'] },
    dataStore,
    registrar: {
      domains: [domain],
      path: { uri: `sip:127.0.0.1:${sip};transport=tcp`, proxyId: node },
    },
    status: { address: '127.0.0.1', port: status },
  };
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, SIP_PROXY_FILE);
  writeFileSync(
    path,
    `# stg-cluster demo: stg-sip-proxy of ${node} (see config/sip-proxy.example.yaml)\n${stringify(config)}`,
  );
  return path;
}

/** The SIPp scenario the banner offers: one REGISTER as a Linphone app sends it (push parameters, +sip.instance). */
export const REGISTER_SCENARIO = 'register.xml';

/** Writes DIR/register.xml: user `-s USER` of the demo's domain registers for an hour; the 200 must come. */
export function writeRegisterScenario(dir: string, domain: string): string {
  const path = join(dir, REGISTER_SCENARIO);
  const scenario = `<?xml version="1.0" encoding="UTF-8"?>
<!-- stg-cluster demo: one REGISTER of [service]@${domain} (sipp -s USER), answered 200 within 2 s. -->
<scenario name="register a device">
  <send retrans="500">
    <![CDATA[
      REGISTER sip:${domain} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      Max-Forwards: 70
      From: <sip:[service]@${domain}>;tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@${domain}>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport];pn-provider=fcm;pn-prid=demo-token-[pid];pn-param=demo-project>;+sip.instance="<urn:uuid:00000000-0000-4000-8000-[pid]>"
      Expires: 3600
      Supported: path
      User-Agent: SIPp (stg-cluster demo)
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" timeout="2000" />
</scenario>
`;
  writeFileSync(path, scenario);
  return path;
}
