import { parseNameAddr, type NameAddr } from './name-addr.js';
import { SipParseError, excerpt } from './parse-error.js';
import { splitList } from './quoted-string.js';
import { parseDeltaSeconds } from './scalars.js';

/**
 * The Contact header of a message: `*` (only in a REGISTER that removes every binding, with Expires: 0), or a list
 * of addresses with their parameters (RFC 3261 section 20.10; RFC 5626 +sip.instance and reg-id).
 */
export type ContactList =
  | { readonly star: true; readonly contacts: readonly [] }
  | { readonly star: false; readonly contacts: readonly NameAddr[] };

const STAR: ContactList = { star: true, contacts: [] };

/** Reads every Contact value of a message (each header line may hold a list). `*` must stand alone. */
export function parseContacts(lines: readonly string[]): ContactList {
  const contacts: NameAddr[] = [];
  let star = false;
  for (const line of lines) {
    for (const element of splitList(line, 'Contact')) {
      if (element === '*') {
        star = true;
        continue;
      }
      if (element.length === 0) throw new SipParseError('Bad Contact header', 'an empty element');
      contacts.push(parseNameAddr(element, 'Contact'));
    }
  }
  if (star && contacts.length > 0) throw new SipParseError('Bad Contact header', '"*" with other contacts');
  if (star) return STAR;
  for (const contact of contacts) checkContactParams(contact);
  return { star: false, contacts };
}

function checkContactParams(contact: NameAddr): void {
  const q = contact.params.get('q');
  if (q !== undefined && (q === null || !isQValue(q))) {
    throw new SipParseError('Bad Contact header', `q is not 0-1: ${excerpt(String(q))}`);
  }
  const regId = contact.params.get('reg-id');
  if (regId !== undefined && (regId === null || !/^[1-9][0-9]{0,9}$/.test(regId) || Number(regId) > 2 ** 31 - 1)) {
    throw new SipParseError('Bad Contact header', `reg-id is not 1 to 2^31-1: ${excerpt(String(regId))}`);
  }
}

/** qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
function isQValue(text: string): boolean {
  return /^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/.test(text);
}

/** The expires parameter of a contact in seconds; undefined when absent or malformed (the registrar's default). */
export function contactExpires(contact: NameAddr): number | undefined {
  const value = contact.params.get('expires');
  return typeof value === 'string' ? parseDeltaSeconds(value) : undefined;
}

/** The q parameter as a number (RFC 3261: 0 to 1); undefined when absent. */
export function contactQ(contact: NameAddr): number | undefined {
  const value = contact.params.get('q');
  return typeof value === 'string' ? Number(value) : undefined;
}

/**
 * The +sip.instance value exactly as written, quotes and angle brackets included (`"<urn:uuid:...>"`): this raw
 * text is the field name of the binding in the Flexisip record format.
 */
export function contactInstance(contact: NameAddr): string | undefined {
  const value = contact.params.get('+sip.instance');
  return typeof value === 'string' ? value : undefined;
}

export function contactRegId(contact: NameAddr): number | undefined {
  const value = contact.params.get('reg-id');
  return typeof value === 'string' ? Number(value) : undefined;
}
