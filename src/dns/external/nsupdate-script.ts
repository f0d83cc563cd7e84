import { ADDRESS_TYPES, sameSet, setOf, type NameRecords } from './records.js';

/** Where an update goes. */
export interface UpdateTarget {
  server: string;
  port: number;
  zone: string;
}

/**
 * The nsupdate script that turns `current` into `desired` as ONE atomic UPDATE message (one `send`).
 *
 * It is a compare-and-swap: the prerequisites state the exact RRsets we believe the server holds (RFC 2136 §2.4.2
 * "RRset exists (value dependent)": the server's RRset must equal the listed records, every one and no more; or
 * §2.4.3 "RRset does not exist"). If someone else changed them, the server applies nothing and answers NXRRSET or
 * YXRRSET. Both address types are in the prerequisites even when only one changes, so a change behind our back
 * to either is noticed and re-read. Only the types that differ are deleted and added again.
 *
 * Names carry the trailing dot so nsupdate never appends an origin to them.
 */
export function buildUpdateScript(target: UpdateTarget, current: NameRecords, desired: NameRecords): string {
  if (current.name !== desired.name) throw new Error(`script for ${desired.name} built from ${current.name}`);
  const name = token(`${desired.name}.`);
  const lines = [`server ${token(target.server)} ${token(String(target.port))}`, `zone ${token(target.zone)}.`];
  for (const type of ADDRESS_TYPES) {
    const set = setOf(current, type);
    if (!set) lines.push(`prereq nxrrset ${name} ${type}`);
    else for (const address of set.addresses) lines.push(`prereq yxrrset ${name} ${type} ${token(address)}`);
  }
  for (const type of ADDRESS_TYPES) {
    const from = setOf(current, type);
    const to = setOf(desired, type);
    if (sameSet(from, to)) continue;
    if (from) lines.push(`update delete ${name} ${type}`);
    for (const address of to?.addresses ?? []) {
      lines.push(`update add ${name} ${token(String(to!.ttlS))} ${type} ${token(address)}`);
    }
  }
  lines.push('send');
  return `${lines.join('\n')}\n`;
}

/**
 * One word of a script line. The inputs were checked already (config schema, normalizeDesired); this guards the
 * one place they meet a parser, so a space or a newline can never add a word or a command to the script.
 */
function token(value: string): string {
  if (!/^[\x21-\x7e]+$/.test(value)) throw new Error(`unsafe word for an nsupdate script: ${JSON.stringify(value)}`);
  return value;
}

/** True when the server already holds what is desired: no update needs to be sent. */
export function inSync(current: NameRecords, desired: NameRecords): boolean {
  return ADDRESS_TYPES.every((type) => sameSet(setOf(current, type), setOf(desired, type)));
}
