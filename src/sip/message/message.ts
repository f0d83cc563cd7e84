import { parseContacts, type ContactList } from './contact.js';
import { HeaderList } from './headers.js';
import { parseNameAddr, type NameAddr } from './name-addr.js';
import { SipParseError } from './parse-error.js';
import { firstOfList, splitList } from './quoted-string.js';
import {
  parseCallId,
  parseContentLength,
  parseCSeq,
  parseDeltaSeconds,
  parseMaxForwards,
  type CSeq,
} from './scalars.js';
import { parseUri, type Uri } from './uri.js';
import { parseVia, type Via } from './via.js';

const EMPTY = Buffer.alloc(0);

/**
 * A SIP request or response: the start line, the header fields (raw text, typed views parsed on first use), and the
 * body bytes. Accessors of typed views throw SipParseError when the header is missing, repeated where only one is
 * allowed, or malformed: a caller answers 400 with the error's reason. The five headers every message needs (Via,
 * From, To, Call-ID, CSeq) were checked when the message was read, so their accessors do not throw then.
 */
export abstract class SipMessage {
  body: Buffer;

  constructor(
    readonly headers: HeaderList,
    body: Buffer = EMPTY,
  ) {
    this.body = body;
  }

  abstract readonly isRequest: boolean;
  abstract startLine(): string;

  /** Every Via, top first. */
  vias(): readonly Via[] {
    return this.headers.parsed('via', 'all', () => {
      const vias: Via[] = [];
      for (const line of this.headers.lines('via')) {
        for (const element of splitList(line, 'Via')) {
          if (element === '') throw new SipParseError('Bad Via header', 'an empty element');
          vias.push(parseVia(element));
        }
      }
      if (vias.length === 0) throw new SipParseError('Missing Via header');
      return vias;
    });
  }

  /** The top Via alone, without parsing the others. */
  topVia(): Via {
    return this.headers.parsed('via', 'top', () => {
      const line = this.headers.get('via');
      if (line === undefined) throw new SipParseError('Missing Via header');
      const { first } = firstOfList(line, 'Via');
      if (first === '') throw new SipParseError('Bad Via header', 'an empty element');
      return parseVia(first);
    });
  }

  /** Replaces the top Via (received/rport added on the way in). */
  setTopVia(via: Via): void {
    this.headers.replaceFirst('Via', via.toString());
    this.headers.remember('via', 'top', via);
  }

  /** Adds a Via on top (a proxy forwarding a request). */
  prependVia(via: Via): void {
    this.headers.prepend('Via', via.toString());
    this.headers.remember('via', 'top', via);
  }

  /** Removes the top Via (a proxy forwarding a response) and returns it. */
  removeTopVia(): Via | undefined {
    const top = this.headers.get('via') === undefined ? undefined : this.topVia();
    this.headers.removeFirst('Via');
    return top;
  }

  from(): NameAddr {
    return this.headers.parsed('from', 'one', () => parseNameAddr(this.single('From'), 'From'));
  }

  to(): NameAddr {
    return this.headers.parsed('to', 'one', () => parseNameAddr(this.single('To'), 'To'));
  }

  callId(): string {
    return this.headers.parsed('call-id', 'one', () => parseCallId(this.single('Call-ID')));
  }

  cseq(): CSeq {
    return this.headers.parsed('cseq', 'one', () => parseCSeq(this.single('CSeq')));
  }

  /** Max-Forwards, undefined when absent (RFC 3261 16.3: then the check passes). */
  maxForwards(): number | undefined {
    return this.headers.parsed('max-forwards', 'one', () => {
      const value = this.optionalSingle('Max-Forwards');
      return value === undefined ? undefined : parseMaxForwards(value);
    });
  }

  /** Content-Length as written (several equal values are one), undefined when absent. */
  contentLength(): number | undefined {
    return this.headers.parsed('content-length', 'one', () => {
      let length: number | undefined;
      for (const line of this.headers.lines('content-length')) {
        const value = parseContentLength(line);
        if (length !== undefined && value !== length) {
          throw new SipParseError('Bad Content-Length header', 'several different values');
        }
        length = value;
      }
      return length;
    });
  }

  /** The Expires header in seconds; undefined when absent or malformed (RFC 3261 20.19 leaves the default to us). */
  expires(): number | undefined {
    return this.headers.parsed('expires', 'one', () => {
      const value = this.headers.get('expires');
      return value === undefined ? undefined : parseDeltaSeconds(value);
    });
  }

  contacts(): ContactList {
    return this.headers.parsed('contact', 'all', () => parseContacts(this.headers.lines('contact')));
  }

  routes(): readonly NameAddr[] {
    return this.addressList('Route');
  }

  recordRoutes(): readonly NameAddr[] {
    return this.addressList('Record-Route');
  }

  paths(): readonly NameAddr[] {
    return this.addressList('Path');
  }

  /** The message as bytes, with a Content-Length that matches the body (streams need it; it is never wrong). */
  toBuffer(): Buffer {
    let head = `${this.startLine()}\r\n`;
    let wroteLength = false;
    for (const f of this.headers) {
      if (f.key === 'content-length') {
        if (!wroteLength) head += `${f.name}: ${this.body.length}\r\n`;
        wroteLength = true;
      } else {
        head += `${f.name}: ${f.value}\r\n`;
      }
    }
    if (!wroteLength) head += `Content-Length: ${this.body.length}\r\n`;
    head += '\r\n';
    if (this.body.length === 0) return Buffer.from(head, 'utf8');
    const headLength = Buffer.byteLength(head, 'utf8');
    const out = Buffer.allocUnsafe(headLength + this.body.length);
    out.write(head, 0, 'utf8');
    this.body.copy(out, headLength);
    return out;
  }

  toString(): string {
    return this.toBuffer().toString('utf8');
  }

  private addressList(name: string): readonly NameAddr[] {
    return this.headers.parsed(name, 'all', () => {
      const list: NameAddr[] = [];
      for (const line of this.headers.lines(name)) {
        for (const element of splitList(line, name)) {
          if (element === '') throw new SipParseError(`Bad ${name} header`, 'an empty element');
          list.push(parseNameAddr(element, name));
        }
      }
      return list;
    });
  }

  /** The only field of a header that must appear once (RFC 4475 multi01: two From are an error). */
  protected single(name: string): string {
    const value = this.optionalSingle(name);
    if (value === undefined) throw new SipParseError(`Missing ${name} header`);
    return value;
  }

  protected optionalSingle(name: string): string | undefined {
    const lines = this.headers.lines(name);
    if (lines.length > 1) throw new SipParseError(`Multiple ${name} headers`);
    return lines[0];
  }
}

export class SipRequest extends SipMessage {
  readonly isRequest = true;
  private parsedUri: Uri | undefined;

  /**
   * @param uriText the Request-URI as written; parsed by `uri()` on first use.
   * @param version as written on the request line (only SIP/2.0 is accepted when reading).
   */
  constructor(
    public method: string,
    public uriText: string,
    headers: HeaderList = new HeaderList(),
    body?: Buffer,
    readonly version = 'SIP/2.0',
  ) {
    super(headers, body);
  }

  /** The Request-URI; a SIP URI there may not carry headers (RFC 4475 escruri). */
  uri(): Uri {
    if (this.parsedUri === undefined) {
      const uri = parseUri(this.uriText, 'Request-URI');
      if (uri.kind === 'sip' && uri.headers.length > 0) {
        throw new SipParseError('Bad Request-URI', 'headers in the Request-URI');
      }
      this.parsedUri = uri;
    }
    return this.parsedUri;
  }

  setUri(uri: Uri): void {
    this.parsedUri = uri;
    this.uriText = uri.toString();
  }

  startLine(): string {
    return `${this.method} ${this.uriText} ${this.version}`;
  }
}

export class SipResponse extends SipMessage {
  readonly isRequest = false;

  constructor(
    public status: number,
    public reason: string,
    headers: HeaderList = new HeaderList(),
    body?: Buffer,
    readonly version = 'SIP/2.0',
  ) {
    super(headers, body);
  }

  startLine(): string {
    return `${this.version} ${this.status} ${this.reason}`;
  }
}
