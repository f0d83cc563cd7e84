import { isIP, isIPv6 } from 'node:net';

/** Host names compare without case; IPv6 addresses compare as addresses (`::1` is `0:0::1`). */
export function sameHost(a: string, b: string): boolean {
  if (a.length === b.length && a.toLowerCase() === b.toLowerCase()) return true;
  return a.includes(':') && b.includes(':') && isIPv6(a) && isIPv6(b) && expandIPv6(a) === expandIPv6(b);
}

/** An IPv6 address in one spelling: eight groups of four hex digits, lower case (an embedded IPv4 converted). */
export function expandIPv6(address: string): string {
  let text = address.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.map((group) => group.padStart(4, '0')).join(':');
}

/** hostname = *( domainlabel "." ) toplabel [ "." ], or an IPv4 address (all digits and dots must be one). */
export function isHostName(host: string): boolean {
  if (host.length === 0) return false;
  let onlyDigitsAndDots = true;
  for (let i = 0; i < host.length; i++) {
    const code = host.charCodeAt(i);
    if (code !== 0x2e && !(code >= 0x30 && code <= 0x39)) onlyDigitsAndDots = false;
  }
  if (onlyDigitsAndDots) return isIP(host) === 4;
  const body = host.endsWith('.') ? host.slice(0, -1) : host;
  for (const label of body.split('.')) {
    if (label.length === 0 || label.startsWith('-') || label.endsWith('-')) return false;
  }
  return true;
}
