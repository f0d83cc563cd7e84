import { headerDisplayName, headerKey, isListHeader } from './header-names.js';
import { splitList } from './quoted-string.js';

/** One header line: the name to write, its key (lower-case full name), and the value with folding undone. */
export interface HeaderField {
  readonly name: string;
  readonly key: string;
  value: string;
}

/**
 * The header fields of a message in their order, as read (values are raw text). Typed views (Via, From, Contact...)
 * are parsed on first use and cached here per header until a field with that key changes: a proxy that forwards a
 * request touches a few headers and never pays for parsing the others.
 *
 * Names given to the methods may be written in any case or compact form ("v", "VIA" and "Via" are the same header).
 */
export class HeaderList implements Iterable<HeaderField> {
  private readonly fields: HeaderField[];
  private cache: Map<string, Map<string, unknown>> | undefined;

  constructor(fields: HeaderField[] = []) {
    this.fields = fields;
  }

  /** Headers from `[name, value]` pairs, e.g. `HeaderList.of([['Via', 'SIP/2.0/UDP h'], ['Call-ID', 'x']])`. */
  static of(pairs: Iterable<readonly [string, string]>): HeaderList {
    const fields: HeaderField[] = [];
    for (const [name, value] of pairs) fields.push(field(name, value));
    return new HeaderList(fields);
  }

  get length(): number {
    return this.fields.length;
  }

  [Symbol.iterator](): Iterator<HeaderField> {
    return this.fields[Symbol.iterator]();
  }

  /** The value of the first field with this name (the whole line for a list header). */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const f of this.fields) if (f.key === key) return f.value;
    return undefined;
  }

  /**
   * Every value: one per field, and for a list header (Via, Contact, Route, Allow...) one per comma-separated
   * element, empty elements left out. Throws SipParseError for an unterminated quoted string in a list.
   */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const list = isListHeader(key);
    const values: string[] = [];
    for (const f of this.fields) {
      if (f.key !== key) continue;
      if (!list) values.push(f.value);
      else for (const element of splitList(f.value, f.name)) if (element !== '') values.push(element);
    }
    return values;
  }

  /** The raw values of the fields with this name, one per line, lists not split. */
  lines(name: string): string[] {
    const key = headerKey(name);
    const values: string[] = [];
    for (const f of this.fields) if (f.key === key) values.push(f.value);
    return values;
  }

  /** How many fields (lines) have this name. */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const f of this.fields) if (f.key === key) n++;
    return n;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces every field with this name by one field per value, where the first of them was (else at the end). */
  set(name: string, value: string | readonly string[]): void {
    const key = headerKey(name);
    const values = typeof value === 'string' ? [value] : value;
    const at = this.fields.findIndex((f) => f.key === key);
    const displayName = at >= 0 ? this.fields[at]!.name : headerDisplayName(name, key);
    this.removeKey(key);
    const added = values.map((v) => ({ name: displayName, key, value: checkedValue(v) }));
    this.fields.splice(at >= 0 ? at : this.fields.length, 0, ...added);
    this.invalidate(key);
  }

  /** Adds a field after the last one with the same name (else at the end). */
  append(name: string, value: string): void {
    const added = field(name, value);
    let at = this.fields.length;
    for (let i = this.fields.length - 1; i >= 0; i--) {
      if (this.fields[i]!.key === added.key) {
        at = i + 1;
        break;
      }
    }
    this.fields.splice(at, 0, added);
    this.invalidate(added.key);
  }

  /** Adds a field before the first one with the same name (else at the top): a new Via or Record-Route. */
  prepend(name: string, value: string): void {
    const added = field(name, value);
    const at = this.fields.findIndex((f) => f.key === added.key);
    this.fields.splice(at >= 0 ? at : 0, 0, added);
    this.invalidate(added.key);
  }

  /** Removes every field with this name; returns how many there were. */
  remove(name: string): number {
    const key = headerKey(name);
    const removed = this.removeKey(key);
    if (removed > 0) this.invalidate(key);
    return removed;
  }

  /**
   * Removes the first element of a list header (the top Via, the first Route) and returns it; a line holding several
   * elements keeps the others.
   */
  removeFirst(name: string): string | undefined {
    const key = headerKey(name);
    const at = this.fields.findIndex((f) => f.key === key);
    if (at < 0) return undefined;
    const f = this.fields[at]!;
    const elements = isListHeader(key) ? splitList(f.value, f.name) : [f.value];
    const first = elements.shift();
    if (elements.length === 0) this.fields.splice(at, 1);
    else this.fields[at] = { name: f.name, key, value: elements.join(', ') };
    this.invalidate(key);
    return first;
  }

  /** Replaces the first element of a list header (the top Via after received/rport were added). */
  replaceFirst(name: string, value: string): void {
    const key = headerKey(name);
    const at = this.fields.findIndex((f) => f.key === key);
    if (at < 0) {
      this.prepend(name, value);
      return;
    }
    const f = this.fields[at]!;
    const elements = isListHeader(key) ? splitList(f.value, f.name) : [f.value];
    elements[0] = checkedValue(value);
    this.fields[at] = { name: f.name, key, value: elements.join(', ') };
    this.invalidate(key);
  }

  /**
   * A typed view of a header, parsed by `parse` on first use and kept until a field with this key changes. `variant`
   * tells apart views of the same header (all Vias, or only the top one). A parse that throws is not cached.
   */
  parsed<T>(name: string, variant: string, parse: () => T): T {
    const key = headerKey(name);
    this.cache ??= new Map();
    let entries = this.cache.get(key);
    if (entries?.has(variant)) return entries.get(variant) as T;
    const value = parse();
    if (!entries) {
      entries = new Map();
      this.cache.set(key, entries);
    }
    entries.set(variant, value);
    return value;
  }

  /** Stores a typed view known without parsing (the Via a proxy just wrote). Call after changing the fields. */
  remember(name: string, variant: string, value: unknown): void {
    const key = headerKey(name);
    this.cache ??= new Map();
    let entries = this.cache.get(key);
    if (!entries) {
      entries = new Map();
      this.cache.set(key, entries);
    }
    entries.set(variant, value);
  }

  /** A copy with its own fields (values are strings, so the copy shares nothing that can change). */
  clone(): HeaderList {
    return new HeaderList(this.fields.map((f) => ({ ...f })));
  }

  private removeKey(key: string): number {
    let removed = 0;
    for (let i = this.fields.length - 1; i >= 0; i--) {
      if (this.fields[i]!.key === key) {
        this.fields.splice(i, 1);
        removed++;
      }
    }
    return removed;
  }

  private invalidate(key: string): void {
    this.cache?.delete(key);
  }
}

function field(name: string, value: string): HeaderField {
  if (name.length === 0 || /[\r\n: \t]/.test(name)) throw new TypeError(`not a header name: ${JSON.stringify(name)}`);
  const key = headerKey(name);
  return { name: headerDisplayName(name, key), key, value: checkedValue(value) };
}

/** Values set by code can never smuggle a line break into a message (header injection). */
function checkedValue(value: string): string {
  if (value.includes('\r') || value.includes('\n')) {
    throw new TypeError(`a header value cannot hold CR or LF: ${JSON.stringify(value.slice(0, 80))}`);
  }
  return value;
}
