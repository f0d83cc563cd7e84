/**
 * A process that owns a bed and then dies (bed.test.ts): `exit` ends with process.exit (the 'exit' handler
 * cleans up), `wait` waits for a signal (SIGTERM: the signal handler cleans up; SIGKILL: nothing can run, and
 * `TestBed.sweepStale` cleans up later). Prints one JSON line: the bed's id, namespaces and processes.
 */
import { TestBed } from './bed.js';

const mode = process.argv[2] ?? 'wait';
const bed = await TestBed.create({ nodes: 2, arbiter: false, client: false });
const sleeper = bed.spawn('stg1', 'sleep', ['300']);
// A process the bed does not track, in a session of its own (as an agent's resource would be).
const started = await bed.run('stg2', 'sh', ['-c', 'setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!']);
const pids = [sleeper.pid, Number(started.stdout.trim())];
process.stdout.write(JSON.stringify({ id: bed.id, namespaces: bed.namespaces, pids }) + '\n');
if (mode === 'exit') process.exit(0);
setInterval(() => undefined, 60_000);
