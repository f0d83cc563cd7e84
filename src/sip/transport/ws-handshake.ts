import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/*
 * The server side of the WebSocket opening handshake (RFC 6455 4.2) for SIP (RFC 7118): the client must offer the
 * `sip` subprotocol, and the answer names it. A refusal is an HTTP answer that says what to change, as Kamailio's
 * websocket module does: 426 with the version we speak for another version, 400 with the subprotocol we require
 * when `sip` is not offered, 404 for another path.
 */

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const SUBPROTOCOL = 'sip';
/** A Sec-WebSocket-Key is 16 random bytes in base64. */
const KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

export interface UpgradeRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
}

export type HandshakeVerdict =
  | { readonly ok: true; readonly response: string }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly response: string };

/** The value of Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/**
 * Checks an upgrade request. `path`: the path the upgrade must ask for (the query is ignored); undefined accepts any.
 * The verdict carries the whole HTTP response head to write: 101 and its headers, or the refusal.
 */
export function checkUpgrade(request: UpgradeRequest, path: string | undefined): HandshakeVerdict {
  const headers = request.headers;
  if (request.method !== 'GET')
    return refuse(405, 'Method Not Allowed', 'a WebSocket upgrade is a GET', ['Allow: GET']);
  if (request.httpVersion !== '1.1') return refuse(400, 'Bad Request', 'a WebSocket upgrade needs HTTP/1.1');
  if (path !== undefined && pathOf(request.url) !== path) return refuse(404, 'Not Found', 'no WebSocket here');
  if (!hasToken(headers.upgrade, 'websocket') || !hasToken(headers.connection, 'upgrade')) {
    return refuse(426, 'Upgrade Required', 'this port speaks WebSocket only', WS_HEADERS);
  }
  if (headers['sec-websocket-version'] !== '13') {
    return refuse(426, 'Upgrade Required', 'WebSocket version 13 only', WS_HEADERS);
  }
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY.test(key)) {
    return refuse(400, 'Bad Request', 'Sec-WebSocket-Key must be 16 bytes in base64', WS_HEADERS);
  }
  if (!hasToken(headers['sec-websocket-protocol'], SUBPROTOCOL)) {
    return refuse(400, 'Bad Request', 'the sip subprotocol (RFC 7118) is required', WS_HEADERS);
  }
  const response = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(key)}`,
    `Sec-WebSocket-Protocol: ${SUBPROTOCOL}`,
    '',
    '',
  ].join('\r\n');
  return { ok: true, response };
}

/** What to tell a client that must change something to get a SIP WebSocket. */
const WS_HEADERS = [`Sec-WebSocket-Protocol: ${SUBPROTOCOL}`, 'Sec-WebSocket-Version: 13', 'Upgrade: websocket'];

/** An HTTP answer closing the connection, with a one-line text body saying why. */
export function refuse(status: number, reason: string, why: string, headers: readonly string[] = []): HandshakeVerdict {
  const body = `${why}\n`;
  const response = [
    `HTTP/1.1 ${status} ${reason}`,
    ...headers,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  return { ok: false, status, reason, response };
}

/** True when a comma-separated header value (or several of them) holds `token`, compared without case. */
function hasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  const values = Array.isArray(value) ? value : [value];
  return values.some((text) => text.split(',').some((part) => part.trim().toLowerCase() === token));
}

function pathOf(url: string | undefined): string {
  if (!url) return '';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
