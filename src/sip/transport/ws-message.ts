import { SipParseError, SipRequest, parseDatagram, type ParseLimits, type SipMessage } from '../message/index.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Reads the SIP message a WebSocket message carries (RFC 7118 5: exactly one, no framing of its own). Content-Length
 * is optional, but when present it must match the body exactly: a datagram may carry padding after its body, a
 * WebSocket message may not. Throws SipParseError, with `request` set when an answer is possible.
 */
export function parseWebSocketMessage(payload: Buffer, limits: ParseLimits): SipMessage {
  const message = parseDatagram(payload, limits);
  const headEnd = payload.indexOf(CRLFCRLF);
  const sent = headEnd < 0 ? 0 : payload.length - headEnd - 4;
  const announced = message.contentLength();
  if (announced !== undefined && announced !== sent) {
    const error = new SipParseError('Bad Content-Length header', `${announced} bytes announced, ${sent} sent`);
    if (message instanceof SipRequest) error.request = message;
    throw error;
  }
  return message;
}

/** A WebSocket message of CRLFs only: the CRLF keep-alive some SIP-over-WebSocket clients send (a double CRLF). */
export function isCrlfKeepAlive(payload: Buffer): boolean {
  if (payload.length === 0 || payload.length > 8) return false;
  for (const byte of payload) if (byte !== 0x0d && byte !== 0x0a) return false;
  return true;
}
