import { createInterface } from 'node:readline';
import { waitFor } from '../test/helpers/wait.js';
import type { BedProcess, NodeName, TestBed } from '../test/system/bed.js';

/**
 * The two small programs of the failover-netns benchmark, each run with `node -e` inside a namespace of the bed:
 * a responder on every node (it answers its node's name and closes) and one client probe.
 */

/** The port the responders listen on, at the VIP. */
export const RESPONDER_PORT = 7000;

/**
 * argv: node name, address, port. Binds the VIP before the node holds it (the node namespaces have
 * ip_nonlocal_bind=1), prints `listening` once bound, then answers every connection with the node's name.
 */
const RESPONDER = `
const net = require('node:net');
const [name, host, port] = process.argv.slice(1);
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.end(name + '\\n');
});
server.on('error', (error) => {
  process.stderr.write('responder: ' + error.message + '\\n');
  process.exit(1);
});
server.listen({ host, port: Number(port) }, () => process.stdout.write('listening\\n'));
`;

/**
 * argv: address, port, period (ms), connect timeout (ms). Starts one connection attempt every period, whatever the
 * earlier ones are doing (a timed-out attempt does not delay the next), and prints one line per attempt when it
 * ends: \`<wallMs> ok <node>\` (the answer read to its end) or \`<wallMs> fail <reason>\` (an error code such as
 * ECONNREFUSED or EHOSTUNREACH, connect-timeout, read-timeout, empty). wallMs is when the attempt ended, on the
 * clock of the bed's events and the journal (performance.timeOrigin + performance.now()), to the microsecond.
 */
const PROBE = `
const net = require('node:net');
const { performance } = require('node:perf_hooks');
const [host, port, every, timeout] = process.argv.slice(1).map((value, index) => (index === 0 ? value : Number(value)));
const now = () => performance.timeOrigin + performance.now();
function attempt() {
  let done = false;
  let answer = '';
  const socket = net.connect({ host, port });
  const finish = (ok, what) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.destroy();
    process.stdout.write(now().toFixed(3) + (ok ? ' ok ' : ' fail ') + what + '\\n');
  };
  let timer = setTimeout(() => finish(false, 'connect-timeout'), timeout);
  socket.setEncoding('utf8');
  socket.on('connect', () => {
    clearTimeout(timer);
    timer = setTimeout(() => finish(false, 'read-timeout'), timeout);
  });
  socket.on('data', (chunk) => (answer += chunk));
  socket.on('end', () => (answer.trim() ? finish(true, answer.trim()) : finish(false, 'empty')));
  socket.on('error', (error) => finish(false, error.code || 'error'));
  socket.on('close', () => finish(false, 'closed'));
}
setInterval(attempt, every);
attempt();
`;

/** Starts a node's responder and resolves once it listens on the VIP. */
export async function startResponder(bed: TestBed, node: NodeName, timeoutMs = 10_000): Promise<BedProcess> {
  const responder = bed.spawn(node, process.execPath, ['-e', RESPONDER, node, bed.vip, String(RESPONDER_PORT)], {
    name: 'responder',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  responder.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  responder.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  await waitFor(
    `the responder on ${node} listening on ${bed.vip}:${RESPONDER_PORT}`,
    () => {
      if (!responder.running) throw new Error(`the responder on ${node} exited: ${output.trim()}`);
      return output.includes('listening');
    },
    { timeoutMs, everyMs: 10 },
  );
  return responder;
}

export interface Attempt {
  /** When the attempt ended (wall clock, ms). */
  wallMs: number;
  ok: boolean;
  /** The node that answered (ok), or why the attempt failed. */
  what: string;
}

/** The client probe: its attempts, in the order they ended. */
export class Probe {
  readonly attempts: Attempt[] = [];
  private stderr = '';

  private constructor(readonly child: BedProcess) {
    const lines = createInterface({ input: child.child.stdout! });
    lines.on('line', (line) => {
      const [wallMs, result, what = ''] = line.split(' ');
      if (wallMs && (result === 'ok' || result === 'fail'))
        this.attempts.push({ wallMs: Number(wallMs), ok: result === 'ok', what });
    });
    child.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (this.stderr.length < 10_000) this.stderr += chunk;
    });
  }

  static start(bed: TestBed, { everyMs = 20, timeoutMs = 100 } = {}): Probe {
    const child = bed.spawn(
      'client',
      process.execPath,
      ['-e', PROBE, bed.vip, String(RESPONDER_PORT), String(everyMs), String(timeoutMs)],
      { name: 'probe', stdio: ['ignore', 'pipe', 'pipe'], freezable: false },
    );
    return new Probe(child);
  }

  /** Throws if the probe died: every later figure would be wrong. */
  assertRunning(): void {
    if (!this.child.running) throw new Error(`the client probe exited: ${this.stderr.trim()}`);
  }

  /** Index of the first attempt that ended at or after `wallMs` (attempts end in order). */
  indexAt(wallMs: number): number {
    let low = 0;
    let high = this.attempts.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.attempts[middle]!.wallMs < wallMs) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The first successful answer from `node` that ended at or after `wallMs`. */
  firstAnswer(node: string, wallMs: number): Attempt | undefined {
    for (let index = this.indexAt(wallMs); index < this.attempts.length; index++) {
      const attempt = this.attempts[index]!;
      if (attempt.ok && attempt.what === node) return attempt;
    }
    return undefined;
  }

  /** The last successful answer from `node` that ended before `wallMs`. */
  lastAnswerBefore(node: string, wallMs: number): Attempt | undefined {
    for (let index = this.indexAt(wallMs) - 1; index >= 0; index--) {
      const attempt = this.attempts[index]!;
      if (attempt.ok && attempt.what === node) return attempt;
    }
    return undefined;
  }

  /** The attempts that ended in [fromMs, toMs). */
  between(fromMs: number, toMs: number): Attempt[] {
    return this.attempts.slice(this.indexAt(fromMs), this.indexAt(toMs));
  }
}
