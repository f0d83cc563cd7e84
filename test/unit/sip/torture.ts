import { SipParseError, parseDatagram } from '../../../src/sip/message/index.js';

/** Helpers of the RFC 4475 tests: messages of our own that reproduce each torture case. */

export const message = (lines: string[], body = '') => Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8');

/** The usual headers of a request, which a case then changes. */
export function usual(method: string, id: string): string[] {
  return [
    `Via: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK${id}`,
    'Max-Forwards: 70',
    `From: <sip:caller@example.net>;tag=${id}1`,
    'To: <sip:callee@example.com>',
    `Call-ID: ${id}@192.0.2.7`,
    `CSeq: 17 ${method}`,
  ];
}

export function refused(bytes: Buffer): SipParseError {
  try {
    parseDatagram(bytes);
  } catch (error) {
    if (error instanceof SipParseError) return error;
    throw error;
  }
  throw new Error('accepted');
}

export const sdp =
  'v=0\r\no=alice 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n';
