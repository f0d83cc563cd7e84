import fc from 'fast-check';
import { quote } from '../../../src/sip/message/index.js';

/*
 * fast-check generators of valid SIP text, written in the usual form ("Name: value" lines, no folding), so that a
 * message read and written back must give the same bytes.
 */

const chars = (set: string) => fc.constantFrom(...set.split(''));
const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const hex = '0123456789ABCDEF';
const escape = fc.tuple(chars(hex), chars(hex)).map(([a, b]) => `%${a}${b}`);

function text(set: string, min = 1, max = 12, withEscapes = false): fc.Arbitrary<string> {
  const unit = withEscapes
    ? fc.oneof({ weight: 9, arbitrary: chars(set) }, { weight: 1, arbitrary: escape })
    : chars(set);
  return fc.array(unit, { minLength: min, maxLength: max }).map((parts) => parts.join(''));
}

export const token = text(`${alnum}-.!%*_+\`'~`);
const unreserved = `${alnum}-_.!~*'()`;
const label = fc.tuple(chars(alnum), text(`${alnum}-`, 0, 8), chars(alnum)).map(([a, b, c]) => `${a}${b}${c}`);
const domain = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.stringMatching(/^[a-z]{2,6}$/))
  .map(([labels, top]) => [...labels, top].join('.'));
const ipv4 = fc.ipV4();
export const host = fc.oneof(
  domain,
  ipv4,
  fc.ipV6().map((address) => `[${address}]`),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });

const uriParam = fc
  .tuple(
    text(`${unreserved}[]/:&+$`, 1, 10, true),
    fc.option(text(`${unreserved}[]/:&+$`, 1, 10, true), { nil: undefined }),
  )
  .map(([name, value]) => (value === undefined ? `;${name}` : `;${name}=${value}`));
const uriHeader = fc
  .tuple(text(`${unreserved}[]/?:+$`, 1, 8, true), text(`${unreserved}[]/?:+$`, 0, 12, true))
  .map(([n, v]) => `${n}=${v}`);

/** A SIP URI; with `headers`, possibly with URI headers (only inside <> or a Contact value). */
export function sipUri(headers = false): fc.Arbitrary<string> {
  return fc
    .record({
      scheme: fc.constantFrom('sip', 'sips'),
      user: fc.option(text(`${unreserved}&=+$,;?/`, 1, 12, true), { nil: undefined }),
      password: fc.option(text(`${unreserved}&=+$,`, 0, 8, true), { nil: undefined }),
      host,
      port,
      params: fc.array(uriParam, { maxLength: 4 }),
      headers: headers ? fc.array(uriHeader, { maxLength: 3 }) : fc.constant([] as string[]),
    })
    .map(({ scheme, user, password, host: h, port: p, params, headers: hs }) => {
      const userinfo = user === undefined ? '' : `${user}${password === undefined ? '' : `:${password}`}@`;
      const query = hs.length === 0 ? '' : `?${hs.join('&')}`;
      return `${scheme}:${userinfo}${h}${p === undefined ? '' : `:${p}`}${params.join('')}${query}`;
    });
}

const printable = fc
  .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0x2fff })), { maxLength: 16 })
  .map((codes) => String.fromCodePoint(...codes));
const headerParam = fc
  .tuple(token, fc.option(fc.oneof(token, printable.map(quote)), { nil: undefined }))
  .map(([name, value]) => (value === undefined ? `;${name}` : `;${name}=${value}`));
const display = fc.option(
  fc.oneof(
    printable.map(quote),
    fc.array(token, { minLength: 1, maxLength: 3 }).map((tokens) => tokens.join(' ')),
  ),
  { nil: undefined },
);

/** A name-addr with header parameters (no `tag`: callers add it; no `q` or `reg-id`, which have rules of their own). */
export function nameAddr(uriHeaders = false): fc.Arbitrary<string> {
  return fc
    .tuple(
      display,
      sipUri(uriHeaders),
      fc.array(
        headerParam.filter((p) => !/^;(tag|q|reg-id)(=|$)/i.test(p)),
        { maxLength: 3 },
      ),
    )
    .map(([name, uri, params]) => `${name === undefined ? '' : `${name} `}<${uri}>${params.join('')}`);
}

export const via = fc
  .record({
    transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'),
    host,
    port,
    branch: token.map((t) => `z9hG4bK${t}`),
    rport: fc.option(fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), { nil: null }),
    received: fc.option(ipv4, { nil: undefined }),
  })
  .map(({ transport, host: h, port: p, branch, rport, received }) => {
    let text = `SIP/2.0/${transport} ${h}${p === undefined ? '' : `:${p}`};branch=${branch}`;
    if (rport !== null) text += rport === undefined ? ';rport' : `;rport=${rport}`;
    if (received !== undefined) text += `;received=${received}`;
    return text;
  });

const word = text(`${alnum}-.!%*_+\`'~()<>:\\"/[]?{}`, 1, 16);
export const callId = fc
  .tuple(word, fc.option(word, { nil: undefined }))
  .map(([a, b]) => (b === undefined ? a : `${a}@${b}`));
const headerText = printable.map((value) => value.trim());

export interface GeneratedRequest {
  readonly bytes: Buffer;
  readonly method: string;
  readonly uri: string;
  readonly vias: readonly string[];
  readonly fromTag: string;
  readonly callId: string;
  readonly seq: number;
  readonly contacts: readonly string[];
  readonly body: Buffer;
}

/** A valid request in the usual form, with what went into it. */
export const request: fc.Arbitrary<GeneratedRequest> = fc
  .record({
    method: fc.oneof(fc.constantFrom('INVITE', 'REGISTER', 'OPTIONS', 'MESSAGE', 'BYE'), token),
    uri: sipUri(false),
    vias: fc.array(via, { minLength: 1, maxLength: 3 }),
    from: nameAddr(),
    fromTag: token,
    to: nameAddr(),
    callId,
    seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    maxForwards: fc.integer({ min: 0, max: 255 }),
    contacts: fc.array(nameAddr(true), { maxLength: 3 }),
    extra: fc.array(
      fc.tuple(
        token.map((t) => `X-${t}`),
        headerText,
      ),
      { maxLength: 4 },
    ),
    body: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  })
  .map((r) => {
    const lines = [
      `${r.method} ${r.uri} SIP/2.0`,
      ...r.vias.map((v) => `Via: ${v}`),
      `Max-Forwards: ${r.maxForwards}`,
      `From: ${r.from};tag=${r.fromTag}`,
      `To: ${r.to}`,
      `Call-ID: ${r.callId}`,
      `CSeq: ${r.seq} ${r.method}`,
      ...(r.contacts.length > 0 ? [`Contact: ${r.contacts.join(', ')}`] : []),
      ...r.extra.map(([name, value]) => `${name}: ${value}`),
      `Content-Length: ${r.body.length}`,
    ];
    const bytes = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), r.body]);
    return {
      bytes,
      method: r.method,
      uri: r.uri,
      vias: r.vias,
      fromTag: r.fromTag,
      callId: r.callId,
      seq: r.seq,
      contacts: r.contacts,
      body: r.body,
    };
  });
