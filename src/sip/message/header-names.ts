/*
 * Header names: the compact forms (RFC 3261 section 7.3.3 and the extensions that define one), the usual spelling
 * of each full name, and which headers hold comma-separated lists. A header is identified by its lower-case full
 * name, its "key"; the name written on the wire is kept unless it was a compact form.
 */

const COMPACT: Readonly<Record<string, string>> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

const WELL_KNOWN = [
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Authentication-Info',
  'Authorization',
  'Call-ID',
  'Call-Info',
  'Contact',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Error-Info',
  'Expires',
  'From',
  'In-Reply-To',
  'Max-Forwards',
  'Min-Expires',
  'MIME-Version',
  'Organization',
  'Path',
  'Priority',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'Record-Route',
  'Reply-To',
  'Require',
  'Retry-After',
  'Route',
  'Server',
  'Service-Route',
  'Subject',
  'Supported',
  'Timestamp',
  'To',
  'Unsupported',
  'User-Agent',
  'Via',
  'Warning',
  'WWW-Authenticate',
  ...Object.values(COMPACT),
];

const CANONICAL = new Map<string, string>(WELL_KNOWN.map((name) => [name.toLowerCase(), name]));
const KEY_OF_COMPACT = new Map<string, string>(Object.entries(COMPACT).map(([c, full]) => [c, full.toLowerCase()]));

/**
 * Headers whose grammar is a comma-separated list (`#element`), so that one line may carry several values and
 * several lines may be combined. Others (Date, the authentication headers, unknown ones) are never split: a comma
 * inside them is content.
 */
const LIST_HEADERS = new Set([
  'accept',
  'accept-contact',
  'accept-encoding',
  'accept-language',
  'alert-info',
  'allow',
  'allow-events',
  'call-info',
  'contact',
  'content-encoding',
  'content-language',
  'error-info',
  'in-reply-to',
  'path',
  'proxy-require',
  'record-route',
  'reject-contact',
  'require',
  'route',
  'service-route',
  'supported',
  'unsupported',
  'via',
  'warning',
]);

/** The key of a header name as written: lower case, a compact form expanded ("v" and "VIA" both give "via"). */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (KEY_OF_COMPACT.get(lower) ?? lower) : lower;
}

/** The name to write: the usual spelling for a compact form or a well-known name given by key, else as given. */
export function headerDisplayName(name: string, key = headerKey(name)): string {
  if (name.length === 1 || name === key) return CANONICAL.get(key) ?? name;
  return name;
}

export function isListHeader(key: string): boolean {
  return LIST_HEADERS.has(key);
}
