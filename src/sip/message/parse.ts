import { DIGIT, isClass, isToken, isWhitespace, trimSpace } from './chars.js';
import { headerDisplayName, headerKey } from './header-names.js';
import { HeaderList, type HeaderField } from './headers.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import { SipRequest, SipResponse, type SipMessage } from './message.js';
import { SipParseError, excerpt } from './parse-error.js';
import type { CSeq } from './scalars.js';

/**
 * The start line and header fields of a message. `message` is undefined when the text is not recognisable as a
 * SIP request or response at all; `error` is the first problem found, kept until the essential headers were read
 * (it decides whether the error can be answered).
 */
export interface Head {
  readonly message: SipRequest | SipResponse | undefined;
  readonly error: SipParseError | undefined;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Reads a message that arrived whole (a UDP datagram). Content-Length is optional here; bytes past it are discarded
 * (RFC 3261 18.3, RFC 4475 dblreq) and a Content-Length beyond the datagram is an error (clerr). Throws SipParseError,
 * with `request` set when an answer is possible.
 */
export function parseDatagram(bytes: Buffer, limits: ParseLimits = DEFAULT_PARSE_LIMITS): SipMessage {
  const headEnd = bytes.indexOf(CRLFCRLF);
  if (bytes.length > limits.maxMessageBytes) {
    // The whole datagram is in memory already: reading its head costs little and lets the sender learn why.
    const tooLarge = new SipParseError('Message Too Large', `${bytes.length} bytes`, 513);
    if (headEnd < 0) throw tooLarge;
    return finishMessage(parseHead(bytes.toString('utf8', 0, headEnd), limits), tooLarge);
  }
  if (headEnd < 0) {
    const head = parseHead(bytes.toString('utf8'), limits);
    return finishMessage(head, head.error ?? new SipParseError('Truncated message', 'no empty line after the headers'));
  }
  const head = parseHead(bytes.toString('utf8', 0, headEnd), limits);
  let deferred = head.error;
  if (head.message) {
    let body = bytes.subarray(headEnd + 4);
    try {
      const length = head.message.contentLength();
      if (length !== undefined && length > body.length) {
        deferred ??= new SipParseError('Bad Content-Length header', `${length} bytes announced, ${body.length} sent`);
      } else if (length !== undefined) {
        body = body.subarray(0, length);
      }
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      deferred ??= error;
    }
    head.message.body = body;
  }
  return finishMessage(head, deferred);
}

/**
 * Checks a message whose head and body were read: the headers an answer needs first (Via to send it back, Call-ID
 * and CSeq to match it; a failure there cannot be answered), then `deferred` (an earlier problem, now answerable),
 * then From and To (copied into the answer as written: a broken one is answered 400, as RFC 4475 asks for its
 * quotbal and multi01 cases) and the rest of the request rules. Returns the message or throws SipParseError, with
 * `request` set when an answer is possible.
 */
export function finishMessage(head: Head, deferred: SipParseError | undefined): SipMessage {
  const message = head.message;
  if (!message) throw deferred ?? head.error ?? new SipParseError('Bad start line');
  let cseq: CSeq;
  try {
    message.topVia();
    message.callId();
    cseq = message.cseq();
  } catch (error) {
    // Unanswerable either way; the first problem says more about the message than its consequence.
    if (deferred && error instanceof SipParseError) throw deferred;
    throw error;
  }
  if (deferred) throw answerable(deferred, message);
  try {
    message.from();
    message.to();
    message.maxForwards();
    if (message instanceof SipRequest) {
      if (cseq.method !== message.method) {
        throw new SipParseError('CSeq method does not match the request method', `${message.method} vs ${cseq.method}`);
      }
      message.uri();
    }
  } catch (error) {
    if (error instanceof SipParseError) throw answerable(error, message);
    throw error;
  }
  return message;
}

/** Requests are answered, except ACK, which never gets a response (RFC 3261 17.2.3 and 8.2.6). */
function answerable(error: SipParseError, message: SipMessage): SipParseError {
  if (message instanceof SipRequest && message.method !== 'ACK') error.request = message;
  return error;
}

/**
 * Reads the start line and the header lines of `text` (the head without its final empty line). Folded lines are
 * joined with one space; compact names are expanded. Never throws: problems go to `error`, and a bad line is left
 * out so that nothing with a stray CR or LF can reach a response.
 */
export function parseHead(text: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Head {
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = text.length;
  const read = readFields(text, lineEnd + 2, limits);
  const start = readStartLine(text.slice(0, lineEnd), new HeaderList(read.fields));
  return { message: start.message, error: start.error ?? read.error };
}

function readFields(text: string, from: number, limits: ParseLimits): { fields: HeaderField[]; error?: SipParseError } {
  const fields: HeaderField[] = [];
  let error: SipParseError | undefined;
  const fail = (problem: SipParseError) => {
    error ??= problem;
  };
  let last: HeaderField | undefined;
  let pos = from;
  while (pos < text.length) {
    let end = text.indexOf('\r\n', pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end);
    pos = end + 2;
    if (line.includes('\n') || line.includes('\r')) {
      fail(new SipParseError('Bad header line', 'a CR or LF alone'));
      last = undefined;
      continue;
    }
    if (line.length > 0 && isWhitespace(line.charCodeAt(0))) {
      // A continuation line: RFC 3261 7.3.1 lets us replace the line break and its whitespace by one space.
      const more = trimSpace(line);
      if (!last) fail(new SipParseError('Bad header line', 'a continuation line without a header'));
      else if (more.length > 0) last.value = last.value.length === 0 ? more : `${last.value} ${more}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? trimSpace(line.slice(0, colon)) : '';
    if (!isToken(name)) {
      fail(new SipParseError('Bad header line', excerpt(line, 40)));
      last = undefined;
      continue;
    }
    if (fields.length >= limits.maxHeaders) {
      fail(new SipParseError('Too many headers', `more than ${limits.maxHeaders}`));
      break;
    }
    const key = headerKey(name);
    last = {
      name: name.length === 1 ? headerDisplayName(name, key) : name,
      key,
      value: trimSpace(line.slice(colon + 1)),
    };
    fields.push(last);
  }
  return { fields, error };
}

/**
 * Request-Line = Method SP Request-URI SP SIP-Version, with exactly one SP between the parts (RFC 4475 lwsstart,
 * trws, lwsruri); Status-Line = SIP-Version SP Status-Code SP Reason-Phrase, the phrase possibly empty. A request
 * whose line is broken after a valid method is still returned, with the error, so that it can be answered 400 (or
 * 505 for another version); a broken status line leaves nothing to answer.
 */
function readStartLine(
  line: string,
  headers: HeaderList,
): { message?: SipRequest | SipResponse; error?: SipParseError } {
  if (line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/') return readStatusLine(line, headers);
  const methodEnd = line.indexOf(' ');
  const method = methodEnd > 0 ? line.slice(0, methodEnd) : '';
  if (!isToken(method)) return { error: new SipParseError('Bad start line', excerpt(line, 40)) };
  const uriEnd = line.indexOf(' ', methodEnd + 1);
  const uriText = line.slice(methodEnd + 1, uriEnd < 0 ? line.length : uriEnd);
  const version = uriEnd < 0 ? '' : line.slice(uriEnd + 1);
  const request = new SipRequest(
    method,
    uriText,
    headers,
    undefined,
    version.toUpperCase() === 'SIP/2.0' ? version : 'SIP/2.0',
  );
  if (uriText.length === 0 || uriEnd < 0 || uriText.includes('\t') || !isVersion(version)) {
    return { message: request, error: new SipParseError('Malformed Request-Line', excerpt(line, 60)) };
  }
  if (version.toUpperCase() !== 'SIP/2.0') {
    return { message: request, error: new SipParseError('Version Not Supported', excerpt(version), 505) };
  }
  return { message: request };
}

function readStatusLine(line: string, headers: HeaderList): { message?: SipResponse; error?: SipParseError } {
  const bad = () => ({ error: new SipParseError('Bad Status-Line', excerpt(line, 60)) });
  const versionEnd = line.indexOf(' ');
  if (versionEnd < 0 || line.slice(0, versionEnd).toUpperCase() !== 'SIP/2.0') return bad();
  const codeStart = versionEnd + 1;
  const codeEnd = codeStart + 3;
  for (let i = codeStart; i < codeEnd; i++) if (!isClass(line, i, DIGIT)) return bad();
  // "SIP/2.0 100" without the space before an empty phrase is tolerated; a fourth digit is not (RFC 4475 bigcode).
  if (codeEnd < line.length && line.charCodeAt(codeEnd) !== 0x20) return bad();
  const status = Number(line.slice(codeStart, codeEnd));
  if (status < 100 || status > 699) return bad();
  const reason = codeEnd < line.length ? line.slice(codeEnd + 1) : '';
  return { message: new SipResponse(status, reason, headers, undefined, line.slice(0, versionEnd)) };
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (case-insensitive literal). */
function isVersion(text: string): boolean {
  if (text.length < 7 || text.slice(0, 4).toUpperCase() !== 'SIP/') return false;
  const dot = text.indexOf('.', 4);
  if (dot <= 4 || dot === text.length - 1) return false;
  for (let i = 4; i < text.length; i++) if (i !== dot && !isClass(text, i, DIGIT)) return false;
  return true;
}
