import { GEN_VALUE, TOKEN, scanClass, skipSpace } from './chars.js';
import { SipParseError, excerpt } from './parse-error.js';
import { scanQuoted, unquote } from './quoted-string.js';

/** One `;name=value` parameter as written: `value` is null for a bare `;name`, and keeps its quotes when quoted. */
export interface Param {
  readonly name: string;
  readonly value: string | null;
}

/**
 * The parameters of a header value (Via, From/To, Contact, Route...), in their order. Names compare without case, as
 * RFC 3261 says; values are kept exactly as written. Immutable: `with`/`without` return a new list.
 */
export class Params {
  static readonly EMPTY = new Params([]);

  constructor(readonly list: readonly Param[]) {}

  get size(): number {
    return this.list.length;
  }

  /** The value as written (quotes kept); null for a parameter without value; undefined when absent. */
  get(name: string): string | null | undefined {
    const index = this.indexOf(name);
    return index < 0 ? undefined : this.list[index]!.value;
  }

  /** The value with its quotes and escapes removed. */
  unquoted(name: string): string | null | undefined {
    const value = this.get(name);
    return typeof value === 'string' ? unquote(value) : value;
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  indexOf(name: string): number {
    const lower = name.toLowerCase();
    for (let i = 0; i < this.list.length; i++) {
      const param = this.list[i]!;
      if (param.name.length === lower.length && param.name.toLowerCase() === lower) return i;
    }
    return -1;
  }

  /** Sets a parameter: replaced in place when present, appended otherwise. `value` is written as given. */
  with(name: string, value: string | null): Params {
    const index = this.indexOf(name);
    const list = [...this.list];
    if (index < 0) list.push({ name, value });
    else list[index] = { name: this.list[index]!.name, value };
    return new Params(list);
  }

  without(name: string): Params {
    const index = this.indexOf(name);
    if (index < 0) return this;
    return new Params(this.list.filter((_, i) => i !== index));
  }

  toString(): string {
    let out = '';
    for (const param of this.list) out += param.value === null ? `;${param.name}` : `;${param.name}=${param.value}`;
    return out;
  }
}

/**
 * Reads `*( SEMI generic-param )` from `text[pos, end)` up to its end (RFC 3261: SEMI = SWS ";" SWS,
 * generic-param = token [ EQUAL gen-value ], gen-value = token / host / quoted-string). Anything else, an empty
 * parameter (`;;`) included, is an error naming `what`.
 */
export function parseParams(text: string, pos: number, end: number, what: string): Params {
  let i = skipSpace(text, pos, end);
  if (i >= end) return Params.EMPTY;
  const list: Param[] = [];
  while (i < end) {
    if (text.charCodeAt(i) !== 0x3b) throw bad(what, `unexpected ${excerpt(text.slice(i, end), 20)}`);
    i = skipSpace(text, i + 1, end);
    const nameEnd = scanClass(text, i, end, TOKEN);
    if (nameEnd === i) throw bad(what, 'empty parameter');
    const name = text.slice(i, nameEnd);
    i = skipSpace(text, nameEnd, end);
    let value: string | null = null;
    if (i < end && text.charCodeAt(i) === 0x3d) {
      i = skipSpace(text, i + 1, end);
      if (i < end && text.charCodeAt(i) === 0x22) {
        const close = scanQuoted(text.slice(0, end), i, what);
        value = text.slice(i, close);
        i = close;
      } else {
        const valueEnd = scanClass(text, i, end, GEN_VALUE);
        if (valueEnd === i) throw bad(what, `parameter ${name} has an empty value`);
        value = text.slice(i, valueEnd);
        i = valueEnd;
      }
      i = skipSpace(text, i, end);
    }
    list.push({ name, value });
  }
  return new Params(list);
}

function bad(what: string, detail: string): SipParseError {
  return new SipParseError(`Bad ${what} header`, detail);
}
