/*
 * The SIP message layer (RFC 3261 sections 7, 8.2.6, 18.3, 19, 20, 25): read and write messages, typed views of the
 * headers a proxy and a registrar use, stream framing, and responses to requests.
 */
export { contactExpires, contactInstance, contactQ, contactRegId, type ContactList } from './contact.js';
export { headerKey, isListHeader } from './header-names.js';
export { HeaderList, type HeaderField } from './headers.js';
export { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
export { SipMessage, SipRequest, SipResponse } from './message.js';
export { NameAddr, parseNameAddr, type NameAddrParts } from './name-addr.js';
export { Params, parseParams, type Param } from './params.js';
export { finishMessage, parseDatagram, parseHead, type Head } from './parse.js';
export { SipParseError } from './parse-error.js';
export { quote, splitList, unquote } from './quoted-string.js';
export { newBranch, newTag, randomHex } from './random-id.js';
export { reasonPhrase } from './reason-phrases.js';
export { createResponse, type ResponseOptions } from './response.js';
export { MAX_DELTA_SECONDS, parseCSeq, parseDeltaSeconds, type CSeq } from './scalars.js';
export { StreamFramer, type StreamSink } from './stream-framer.js';
export {
  OtherUri,
  SipUri,
  TelUri,
  escapeUriHeader,
  escapeUriParam,
  expandIPv6,
  parseUri,
  sameHost,
  type SipUriParts,
  type Uri,
  type UriHeader,
  type UriParam,
} from './uri.js';
export { Via, parseVia, type ViaParts } from './via.js';
