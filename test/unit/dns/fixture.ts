import * as dnsPacket from 'dns-packet';
import { parseDefinition } from '../../../src/config/load.js';
import { buildRecordSet, type NodeHealthInput } from '../../../src/dns/build-records.js';
import { CompiledZone } from '../../../src/dns/compiled-zone.js';
import type { ServedRecordSet } from '../../../src/dns/record-set.js';
import { Responder } from '../../../src/dns/responder.js';

/** A definition as the agents have it, with the DNS block's defaults unless given. */
export function definition(
  extra: { service?: Record<string, unknown>; dns?: Record<string, unknown>; resources?: unknown[] } = {},
) {
  return parseDefinition(
    {
      cluster: 'test',
      service: { name: 'sips.example.es', ...extra.service },
      ...(extra.dns ? { dns: extra.dns } : {}),
      resources: extra.resources ?? [],
    },
    'test definition',
  );
}

export const SIP_PROXY = { id: 'sip-proxy', kind: 'process', command: ['/bin/true'], placement: 'every-node' };

export function node(
  id: string,
  address: string | undefined,
  proxy?: string,
  state: NodeHealthInput['state'] = 'online',
) {
  return { id, state, address, resources: proxy ? [{ id: 'sip-proxy', state: proxy }] : [] } satisfies NodeHealthInput;
}

export const THREE_NODES = [node('stg1', '127.0.0.11'), node('stg2', '127.0.0.12'), node('stg3', '127.0.0.13')];

/** A served set: nodes mode with three healthy nodes, stg1 leading, unless told otherwise. */
export function served(
  options: {
    term?: number;
    version?: number;
    leader?: string;
    nodes?: NodeHealthInput[];
    service?: Record<string, unknown>;
  } = {},
): ServedRecordSet {
  const leader = options.leader ?? 'stg1';
  const content = buildRecordSet({
    definition: definition({ service: options.service }),
    leader,
    nodes: options.nodes ?? THREE_NODES,
  });
  return {
    term: options.term ?? 4,
    version: options.version ?? 7,
    set: { ...content, leader, publishedAt: '2026-01-01T00:00:00.000Z' },
  };
}

export function responderWith(set: ServedRecordSet = served()): Responder {
  const responder = new Responder();
  responder.load(new CompiledZone(set));
  return responder;
}

/** A query as dig sends it: RD set, EDNS with a 1232-byte payload unless `edns` is false. */
export function query(
  name: string,
  type: dnsPacket.RecordType,
  options: { id?: number; edns?: false | { payload?: number; version?: number; dnssecOk?: boolean } } = {},
): Buffer {
  const edns = options.edns === false ? undefined : (options.edns ?? {});
  return dnsPacket.encode({
    type: 'query',
    id: options.id ?? 0x1234,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name }],
    additionals: edns
      ? [
          {
            name: '.',
            type: 'OPT',
            udpPayloadSize: edns.payload ?? 1232,
            ednsVersion: edns.version ?? 0,
            flags: edns.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
          } as dnsPacket.OptAnswer,
        ]
      : [],
  });
}

export function decode(response: Buffer | undefined): dnsPacket.DecodedPacket {
  if (!response) throw new Error('no response');
  return dnsPacket.decode(response);
}

/** The rcode of a decoded response (dns-packet names it in `rcode`). */
export function rcodeOf(packet: dnsPacket.DecodedPacket): string {
  return (packet as unknown as { rcode: string }).rcode;
}
