import { readFile } from 'node:fs/promises';
import { ClusterError } from '../../errors.js';

/** The public part of a TSIG key: what may be shown in a status or a log line (never the secret). */
export interface TsigKey {
  name: string;
  algorithm: string;
}

/** The HMAC algorithms BIND's nsupdate knows (`tsig-keygen -h`). */
export const TSIG_ALGORITHMS = ['hmac-md5', 'hmac-sha1', 'hmac-sha224', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'];

/** The key file cannot be used; the message names the file and the reason, never the secret. */
export class TsigKeyFileError extends ClusterError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super('STG_ERR_TSIG_KEY_FILE', `TSIG key file ${path}: ${reason}`);
  }
}

const KEY_STATEMENT = /key\s+("([^"]+)"|([A-Za-z0-9._-]+))\s*\{([^}]*)\}\s*;/g;

/**
 * Reads a key file in BIND's format, as `tsig-keygen NAME` writes it. nsupdate itself only warns on a file it
 * cannot read and then sends the update UNSIGNED, which the server refuses with a misleading REFUSED; checking the
 * file first names the real cause.
 */
export async function readTsigKeyFile(path: string): Promise<TsigKey> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new TsigKeyFileError(path, `cannot be read (${code})`);
  }
  return parseTsigKey(text, path);
}

/** Parses the text of a key file; exactly one `key` statement with an algorithm and a base64 secret. */
export function parseTsigKey(text: string, path: string): TsigKey {
  const statements = [...stripComments(text).matchAll(KEY_STATEMENT)];
  if (statements.length === 0) {
    throw new TsigKeyFileError(path, 'no key statement (expected key "NAME" { algorithm ...; secret "..."; }; )');
  }
  if (statements.length > 1) {
    throw new TsigKeyFileError(path, `${statements.length} key statements; nsupdate would use only one: keep one`);
  }
  const [, , quoted, bare, body = ''] = statements[0]!;
  const name = (quoted ?? bare ?? '').trim();
  const algorithm = /(?:^|;)\s*algorithm\s+"?([A-Za-z0-9-]+)"?\s*;/.exec(body)?.[1]?.toLowerCase();
  const secret = /(?:^|;)\s*secret\s+"([^"]*)"\s*;/.exec(body)?.[1];
  if (!algorithm) throw new TsigKeyFileError(path, `key "${name}" has no algorithm`);
  if (!TSIG_ALGORITHMS.includes(algorithm)) {
    throw new TsigKeyFileError(
      path,
      `key "${name}": algorithm ${algorithm} is not one of ${TSIG_ALGORITHMS.join(', ')}`,
    );
  }
  if (secret === undefined) throw new TsigKeyFileError(path, `key "${name}" has no secret`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(secret) || secret.length % 4 !== 0) {
    throw new TsigKeyFileError(path, `key "${name}": the secret is not base64`);
  }
  return { name, algorithm };
}

/** Removes BIND's three comment styles, except inside quoted strings (a base64 secret may hold "//"). */
function stripComments(text: string): string {
  let out = '';
  for (let at = 0; at < text.length;) {
    const char = text[at]!;
    if (char === '"') {
      const end = text.indexOf('"', at + 1);
      const stop = end === -1 ? text.length : end + 1;
      out += text.slice(at, stop);
      at = stop;
    } else if (char === '#' || text.startsWith('//', at)) {
      const end = text.indexOf('\n', at);
      at = end === -1 ? text.length : end;
    } else if (text.startsWith('/*', at)) {
      const end = text.indexOf('*/', at + 2);
      out += ' ';
      at = end === -1 ? text.length : end + 2;
    } else {
      out += char;
      at += 1;
    }
  }
  return out;
}
