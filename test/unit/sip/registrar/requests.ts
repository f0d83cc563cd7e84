import { parseDatagram, type SipRequest } from '../../../../src/sip/message/index.js';
import { registrarSettings, type RegistrarSettings } from '../../../../src/sip/registrar/index.js';

/** A REGISTER as a device would send it; `headers` replace or add lines (null removes one). */
export function register(headers: Record<string, string | string[] | null> = {}): SipRequest {
  const base: Record<string, string | string[] | null> = {
    Via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-test;rport',
    'Max-Forwards': '70',
    From: '<sip:alice@example.com>;tag=f1',
    To: '<sip:alice@example.com>',
    'Call-ID': 'call-1',
    CSeq: '1 REGISTER',
    Contact: '<sip:alice@192.0.2.10:5060>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-00000000000a>"',
    ...headers,
  };
  const lines = ['REGISTER sip:example.com SIP/2.0'];
  for (const [name, value] of Object.entries(base)) {
    if (value === null) continue;
    for (const line of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${line}`);
  }
  lines.push('Content-Length: 0', '', '');
  return parseDatagram(Buffer.from(lines.join('\r\n'))) as SipRequest;
}

export function settings(overrides: Partial<Parameters<typeof registrarSettings>[0]> = {}): RegistrarSettings {
  return registrarSettings({ domains: ['example.com', 'sips.example.es'], ...overrides });
}
