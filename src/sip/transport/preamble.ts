import type { Socket } from 'node:net';
import { readProxyHeader, startsWithProxyHeader } from './proxy-protocol.js';
import type { Endpoint } from './types.js';

/** What came before the protocol proper on a new connection. */
export type Preamble =
  | {
      readonly ok: true;
      /** The client and its destination from a PROXY header (behind HAProxy, unless it was a LOCAL command). */
      readonly source?: Endpoint | undefined;
      readonly destination?: Endpoint | undefined;
    }
  | { readonly ok: false; readonly why: 'missing' | 'refused' | 'timeout' | 'closed'; readonly detail: string };

/**
 * Reads the start of a connection, before TLS, HTTP or SIP get it. Behind HAProxy the PROXY header must come first
 * (HAProxy sends it before anything else, TLS handshake included); elsewhere the first bytes must not be one, since
 * a client that can send a header could claim any address. Once decided, the socket is paused with the bytes read
 * past the header put back (`unshift`), so whoever takes it next reads the stream from where the header ended.
 *
 * A CRLFCRLF keep-alive is also how a v2 signature starts. A first read of exactly those 4 bytes is taken for a
 * ping (a client may probe a fresh flow so): a v2 header cut just there is then read by SIP, TLS or HTTP as the
 * garbage it is to them and the connection closed as malformed instead of counted here; it is never obeyed.
 * `timeoutMs` 0 leaves the deadline to the caller.
 */
export function readPreamble(
  socket: Socket,
  behindProxy: boolean,
  timeoutMs: number,
  done: (preamble: Preamble) => void,
): void {
  let buffered: Buffer = Buffer.alloc(0);
  let finished = false;
  const finish = (preamble: Preamble, rest?: Buffer) => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    // Paused before the listener goes, so that no chunk is emitted to nobody in between.
    socket.pause();
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onEnd);
    if (rest && rest.length > 0) socket.unshift(rest);
    done(preamble);
  };
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    if (!behindProxy) {
      const proxyHeader = isPing(buffered) ? false : startsWithProxyHeader(buffered);
      if (proxyHeader === true) {
        finish({ ok: false, why: 'refused', detail: 'a PROXY header on a listener not behind HAProxy' });
      } else if (proxyHeader === false) {
        finish({ ok: true }, buffered);
      }
      return;
    }
    const header = readProxyHeader(buffered);
    if (header.kind === 'incomplete') return;
    if (header.kind === 'invalid') {
      finish({ ok: false, why: 'missing', detail: header.reason });
      return;
    }
    finish({ ok: true, source: header.source, destination: header.destination }, buffered.subarray(header.length));
  };
  const onEnd = () => finish({ ok: false, why: 'closed', detail: 'closed before its first bytes could be read' });
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          const what = behindProxy ? 'no PROXY header' : 'no bytes to tell the protocol';
          finish({ ok: false, why: 'timeout', detail: `${what} within ${timeoutMs} ms` });
        }, timeoutMs)
      : undefined;
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onEnd);
}

function isPing(bytes: Buffer): boolean {
  return bytes.length === 4 && bytes.readUInt32BE(0) === 0x0d0a0d0a;
}
