import { isIPv4, isIPv6 } from 'node:net';
import type { Endpoint } from './types.js';

/*
 * The PROXY protocol (HAProxy's doc/proxy-protocol.txt), the receiving side: version 2 (binary, what `send-proxy-v2`
 * sends) and version 1 (text, cheap to accept as well). The header comes first on the connection, before TLS or
 * HTTP, and names the client HAProxy accepted. Parsing is pure: bytes in, a verdict out, nothing thrown.
 */

/** The 12 bytes every v2 header starts with (they contain a NUL and "QUIT": no other protocol starts so). */
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** v1 headers are at most 107 bytes, CRLF included. */
const V1_MAX_BYTES = 107;
/**
 * The largest v2 header accepted. HAProxy's are 28 (IPv4) or 52 (IPv6) bytes plus the TLVs asked for (ALPN, SNI,
 * unique id, SSL details): a few hundred bytes. A header claiming more is garbage or an attack.
 */
export const MAX_PROXY_V2_BYTES = 16 + 2048;

export type ProxyHeader =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'invalid'; readonly reason: string }
  | {
      readonly kind: 'header';
      readonly version: 1 | 2;
      /** Bytes the header takes at the start of the stream. */
      readonly length: number;
      /**
       * The client and the address it connected to. Absent for a LOCAL command (HAProxy's own health check), a v1
       * UNKNOWN or an address family without IP: the connection's own addresses apply then.
       */
      readonly source?: Endpoint;
      readonly destination?: Endpoint;
    };

/**
 * Whether a stream starts with a PROXY header (v2 signature or "PROXY "): true, false, or undefined when the bytes so
 * far are too few to tell (they are a prefix of one).
 */
export function startsWithProxyHeader(bytes: Buffer): boolean | undefined {
  const v2 = prefixMatch(bytes, PROXY_V2_SIGNATURE);
  const v1 = prefixMatch(bytes, V1_PREFIX);
  if (v2 === true || v1 === true) return true;
  if (v2 === false && v1 === false) return false;
  return undefined;
}

/** Reads the PROXY header at the start of `bytes`. */
export function readProxyHeader(bytes: Buffer): ProxyHeader {
  if (prefixMatch(bytes, PROXY_V2_SIGNATURE) !== false) {
    return bytes.length < 16 ? { kind: 'incomplete' } : readV2(bytes);
  }
  if (prefixMatch(bytes, V1_PREFIX) !== false) return bytes.length < 6 ? { kind: 'incomplete' } : readV1(bytes);
  return { kind: 'invalid', reason: 'no PROXY protocol signature' };
}

function readV2(bytes: Buffer): ProxyHeader {
  const versionCommand = bytes[12]!;
  if (versionCommand >> 4 !== 2) return { kind: 'invalid', reason: `version ${versionCommand >> 4}, not 2` };
  const command = versionCommand & 0x0f;
  if (command > 1) return { kind: 'invalid', reason: `unknown command ${command}` };
  const family = bytes[13]! >> 4;
  const protocol = bytes[13]! & 0x0f;
  if (family > 3 || protocol > 2)
    return { kind: 'invalid', reason: `unknown address family byte 0x${hex(bytes[13]!)}` };
  const length = 16 + bytes.readUInt16BE(14);
  if (length > MAX_PROXY_V2_BYTES) return { kind: 'invalid', reason: `${length} bytes, over ${MAX_PROXY_V2_BYTES}` };
  if (bytes.length < length) return { kind: 'incomplete' };
  // LOCAL: a connection HAProxy made itself (a health check); the address block, if any, means nothing.
  if (command === 0) return { kind: 'header', version: 2, length };
  const block = bytes.subarray(16, length);
  if (family === 1) {
    if (block.length < 12) return { kind: 'invalid', reason: 'IPv4 address block shorter than 12 bytes' };
    return {
      kind: 'header',
      version: 2,
      length,
      source: { address: ipv4(block, 0), port: block.readUInt16BE(8) },
      destination: { address: ipv4(block, 4), port: block.readUInt16BE(10) },
    };
  }
  if (family === 2) {
    if (block.length < 36) return { kind: 'invalid', reason: 'IPv6 address block shorter than 36 bytes' };
    return {
      kind: 'header',
      version: 2,
      length,
      source: { address: ipv6(block, 0), port: block.readUInt16BE(32) },
      destination: { address: ipv6(block, 16), port: block.readUInt16BE(34) },
    };
  }
  // UNSPEC or UNIX: nothing an IP layer can use; the spec says to use the connection's own addresses.
  return { kind: 'header', version: 2, length };
}

function readV1(bytes: Buffer): ProxyHeader {
  const end = bytes.indexOf('\r\n', 0, 'latin1');
  if (end < 0) {
    return bytes.length >= V1_MAX_BYTES
      ? { kind: 'invalid', reason: `v1 header without CRLF within ${V1_MAX_BYTES} bytes` }
      : { kind: 'incomplete' };
  }
  const length = end + 2;
  if (length > V1_MAX_BYTES) return { kind: 'invalid', reason: `v1 header of ${length} bytes` };
  const fields = bytes.toString('latin1', 6, end).split(' ');
  if (fields[0] === 'UNKNOWN') return { kind: 'header', version: 1, length };
  const [protocol, source, destination, sourcePort, destinationPort] = fields;
  const isAddress = protocol === 'TCP4' ? isIPv4 : protocol === 'TCP6' ? isIPv6 : undefined;
  if (!isAddress) return { kind: 'invalid', reason: `v1 protocol ${JSON.stringify(protocol)}` };
  const sport = port(sourcePort);
  const dport = port(destinationPort);
  if (fields.length !== 5 || !isAddress(source ?? '') || !isAddress(destination ?? '') || sport < 0 || dport < 0) {
    return { kind: 'invalid', reason: `malformed v1 header ${JSON.stringify(bytes.toString('latin1', 0, end))}` };
  }
  return {
    kind: 'header',
    version: 1,
    length,
    source: { address: plainIp(source!), port: sport },
    destination: { address: plainIp(destination!), port: dport },
  };
}

/** True when `bytes` starts with `prefix`, false when it cannot, undefined when it is a shorter prefix of it. */
function prefixMatch(bytes: Buffer, prefix: Buffer): boolean | undefined {
  const n = Math.min(bytes.length, prefix.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== prefix[i]) return false;
  return n === prefix.length ? true : undefined;
}

function port(text: string | undefined): number {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return -1;
  const value = Number(text);
  return value <= 65535 ? value : -1;
}

function ipv4(bytes: Buffer, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/** RFC 5952 text (as the kernel gives for a socket); an IPv4-mapped address as plain dotted IPv4, as elsewhere. */
function ipv6(bytes: Buffer, at: number): string {
  let mapped = bytes[at + 10] === 0xff && bytes[at + 11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (bytes[at + i] !== 0) mapped = false;
  if (mapped) return ipv4(bytes, at + 12);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(at + i).toString(16));
  // The URL serializer compresses the longest run of zero groups exactly as RFC 5952 asks.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

function plainIp(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
