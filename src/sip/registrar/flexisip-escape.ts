/*
 * The escaping Flexisip applies inside a stored contact, so that our values read the same as its own:
 *
 * - URI headers (`?path=...&accept=...&user-agent=...`): sofia-sip's sip_headers_as_url_query escapes, per byte,
 *   controls, space, bytes >= 0x7f, `"#%<>[\]^\`{|}` and `:=,;`. We also escape `&` and `@`, which sofia leaves bare:
 *   a bare `&` in a User-Agent splits the query when it is read back, and neither is allowed in a URI header value
 *   (RFC 3261 hvalue), which the message layer's strict parser (and so the push workers) insists on. Flexisip's reader
 *   unescapes everything, so it reads our values as well.
 * - The callid URI parameter: Flexisip escapes `"#&,;<=>@\^\`{|}%` of the Call-ID; we escape every byte that is not
 *   a URI parameter character (RFC 3261 paramchar) and `&`, which gives the same text for every Call-ID except one
 *   holding `?` (which Flexisip leaves bare and so breaks its own URI).
 * Hex digits are upper case, as sofia writes them.
 */

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function table(keep: string): Uint8Array {
  const kept = new Uint8Array(128);
  for (const char of keep) kept[char.charCodeAt(0)] = 1;
  return kept;
}

const HEADER_KEEP = table(`${ALNUM}!$'()*+-./?_~`);
const CALL_ID_KEEP = table(`${ALNUM}-_.!~*'()[]/:+$`);

function escapeBytes(text: string, keep: Uint8Array): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || keep[code] === 0) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte < 128 && keep[byte] === 1
        ? String.fromCharCode(byte)
        : `%${byte < 16 ? '0' : ''}${byte.toString(16).toUpperCase()}`;
  }
  return out;
}

/** A value for the `path`, `accept` or `user-agent` URI header of a stored contact. */
export function escapeUrlHeader(value: string): string {
  return escapeBytes(value, HEADER_KEEP);
}

/** The Call-ID as the `callid` URI parameter of a stored contact. */
export function escapeCallId(callId: string): string {
  return escapeBytes(callId, CALL_ID_KEEP);
}

/**
 * Decodes `%HH` escapes of stored text, leniently: values written by other software may hold a `%` that starts no
 * escape, which is then kept as it is (stored data is input like any other, and never worth a crash).
 */
export function unescapeStored(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    const bytes: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const hex = text.slice(i + 1, i + 3);
      if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(text[i]!, 'utf8'));
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }
}
