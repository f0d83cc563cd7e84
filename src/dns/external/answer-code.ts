/**
 * What went wrong with an update, from nsupdate's output. The server's answer code (REFUSED, NOTAUTH, ...) is kept
 * as it is, so operators can match it with the server's own logs; `reason` says what it usually means.
 */
export type FailureKind =
  /** NXRRSET, YXRRSET, NXDOMAIN, YXDOMAIN: the records are not what we expected; someone else changed them. */
  | 'prerequisite'
  /** REFUSED: the server does not let this key update this name (or updates are off). */
  | 'refused'
  /** NOTAUTH, with or without a TSIG error (BADSIG, BADKEY, BADTIME): the key or the zone is wrong. */
  | 'not-authorized'
  /** SERVFAIL, NOTZONE, FORMERR, NOTIMP and other answer codes. */
  | 'server-error'
  /** No answer could be had: connection refused, host unknown. */
  | 'unreachable'
  | 'timeout'
  /** Our TSIG key file is missing or malformed: nothing was sent. */
  | 'key-file'
  /** The read of the current records failed or was not authoritative. */
  | 'query'
  /** The desired records are invalid: not retried until a new set comes. */
  | 'invalid'
  /** nsupdate rejected our script or ended in a way we do not know: a bug to report. */
  | 'internal';

export interface UpdateFailure {
  kind: FailureKind;
  reason: string;
  /** The server's answer code, e.g. NOTAUTH, when it answered. */
  rcode?: string;
  /** The TSIG error the server gave with it, e.g. BADSIG. */
  tsigError?: string;
}

const PREREQUISITE_CODES = new Set(['NXRRSET', 'YXRRSET', 'NXDOMAIN', 'YXDOMAIN']);

/** What each answer code to an UPDATE usually means, in the words an operator needs. */
export function explainRcode(rcode: string, tsigError?: string): { kind: FailureKind; meaning: string } {
  if (PREREQUISITE_CODES.has(rcode)) {
    return { kind: 'prerequisite', meaning: 'a prerequisite failed: the records are not what we last saw' };
  }
  if (rcode === 'NOTAUTH') {
    const meaning =
      tsigError === 'BADSIG'
        ? 'the TSIG signature was not accepted: the secret differs from the server copy of the key'
        : tsigError === 'BADKEY'
          ? 'the server does not know this TSIG key name or algorithm'
          : tsigError === 'BADTIME'
            ? 'the clocks of this host and the server differ by more than the TSIG fudge (300 s)'
            : 'the server is not authoritative for the zone, or the key is not accepted';
    return { kind: 'not-authorized', meaning };
  }
  if (rcode === 'REFUSED') {
    return { kind: 'refused', meaning: 'the server refused: the key may not update this name, or updates are off' };
  }
  if (rcode === 'SERVFAIL') return { kind: 'server-error', meaning: 'the server failed to process it' };
  if (rcode === 'NOTZONE') return { kind: 'server-error', meaning: 'the name is not inside the zone given' };
  if (rcode === 'NOTIMP') return { kind: 'server-error', meaning: 'the server does not implement dynamic update' };
  if (rcode === 'FORMERR') return { kind: 'server-error', meaning: 'the server could not parse the message' };
  return { kind: 'server-error', meaning: 'unexpected answer code' };
}

/** nsupdate prefixes some lines (those of BIND's parser) with a timestamp: `26-Nov-2026 13:34:22.046 `. */
const TIMESTAMP = /^\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}:\d{2}\.\d{3} /;

/**
 * Turns nsupdate's stdout and stderr of a failed run into a failure. The forms, as BIND 9.18's nsupdate prints them:
 * `update failed: NXRRSET`, `update failed: NOTAUTH(BADSIG)` (after `; TSIG error with server: tsig indicates
 * error`), `; Communication with 127.0.0.1#5399 failed: connection refused` (or `timed out`, or `operation
 * canceled` over TCP), `couldn't get address for 'x': not found`, `could not read key from k.{private,key}: file
 * not found` (nsupdate then goes on UNSIGNED), and parser errors such as `syntax error`.
 */
export function parseNsupdateFailure(output: string, exitCode: number | undefined): UpdateFailure {
  const lines = output
    .split(/\r?\n/)
    .map((line) => line.replace(TIMESTAMP, '').trim())
    .filter((line) => line !== '');
  const find = (pattern: RegExp) => lines.map((line) => pattern.exec(line)).find((match) => match !== null);

  const keyProblem = find(/^could not read key from (.*)$/);
  if (keyProblem) return { kind: 'key-file', reason: `nsupdate could not read the TSIG key from ${keyProblem[1]}` };

  const answer = find(/^update failed: ([A-Z0-9_]+)(?:\(([A-Z0-9_]+)\))?/);
  if (answer) {
    const [, rcode = 'UNKNOWN', tsigError] = answer;
    const { kind, meaning } = explainRcode(rcode, tsigError);
    const code = tsigError ? `${rcode}(${tsigError})` : rcode;
    return { kind, reason: `the server answered ${code}: ${meaning}`, rcode, ...(tsigError ? { tsigError } : {}) };
  }

  const communication = find(/^; Communication with (\S+) failed: (.*)$/);
  if (communication) {
    const [, peer = '', what = ''] = communication;
    if (/timed out/i.test(what)) return { kind: 'timeout', reason: `no answer from ${peer}: ${what}` };
    // Over TCP, BIND 9.18 reports a refused connection as "operation canceled".
    const shown = /operation canceled/i.test(what) ? `${what} (connection refused or reset)` : what;
    return { kind: 'unreachable', reason: `cannot reach ${peer}: ${shown}` };
  }

  const address = find(/^couldn't get address for (.*)$/);
  if (address) return { kind: 'unreachable', reason: `cannot resolve the server ${address[1]}` };

  const tsig = find(/^; TSIG error with server: (.*)$/);
  if (tsig) return { kind: 'not-authorized', reason: `TSIG error with the server: ${tsig[1]}` };

  const code = exitCode === undefined ? 'no exit code' : `exit code ${exitCode}`;
  const said = lines.join('; ').slice(0, 400);
  return {
    kind: 'internal',
    reason: said ? `nsupdate failed (${code}): ${said}` : `nsupdate failed (${code}), no output`,
  };
}
