import { execFile } from 'node:child_process';

/** One record line of dig's output, split: name, TTL, class, type, then the data fields. */
export interface DigRecord {
  name: string;
  ttl: number;
  type: string;
  data: string[];
}

export interface DigAnswer {
  status: string;
  flags: string[];
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  /** dig saw TC and asked again over TCP (";; Truncated, retrying in TCP mode."). */
  retriedOverTcp: boolean;
  raw: string;
}

/**
 * Runs the real dig (bind9-dnsutils) against a server and parses what it prints. Bounded: one try, `timeS` seconds
 * (dig's own timeout), and the process is killed after twice that. `extra`: more dig options (+tcp, +noedns...).
 * `command`: a prefix to run dig with (e.g. `ip netns exec NS`).
 */
export async function dig(
  server: string,
  port: number,
  name: string,
  type: string,
  extra: string[] = [],
  { timeS = 2, command = [] as string[] } = {},
): Promise<DigAnswer> {
  const args = [`@${server}`, '-p', String(port), name, type, '+norec', `+time=${timeS}`, '+tries=1', ...extra];
  const [file, ...prefix] = command.length > 0 ? command : ['dig'];
  const raw = await new Promise<string>((resolve, reject) => {
    execFile(
      file!,
      command.length > 0 ? [...prefix, 'dig', ...args] : args,
      { encoding: 'utf8', timeout: timeS * 2000 + 1000, killSignal: 'SIGKILL' },
      (error, stdout) => {
        // dig exits 9 when no server answered: the output says so, the caller decides.
        if (error && !stdout) reject(error);
        else resolve(stdout);
      },
    );
  });
  return parseDig(raw);
}

export function parseDig(raw: string): DigAnswer {
  const lines = raw.split('\n');
  const status = /status: ([A-Z]+)/.exec(raw)?.[1] ?? 'NO ANSWER';
  const flags = /;; flags: ([a-z ]*);/.exec(raw)?.[1]?.trim().split(/\s+/) ?? [];
  const section = (title: string): DigRecord[] => {
    const start = lines.indexOf(`;; ${title} SECTION:`);
    if (start < 0) return [];
    const records: DigRecord[] = [];
    for (const line of lines.slice(start + 1)) {
      if (line.trim() === '' || line.startsWith(';')) break;
      const [name = '', ttl = '0', , type = '', ...data] = line.split(/\s+/);
      records.push({ name, ttl: Number(ttl), type, data });
    }
    return records;
  };
  return {
    status,
    flags,
    answer: section('ANSWER'),
    authority: section('AUTHORITY'),
    additional: section('ADDITIONAL'),
    retriedOverTcp: raw.includes('Truncated, retrying in TCP mode'),
    raw,
  };
}

/** The data of the answer records of one type, each as one string (`10 50 5554 stg1.example.es.`). */
export function answers(result: DigAnswer, type: string): string[] {
  return result.answer.filter((record) => record.type === type).map((record) => record.data.join(' '));
}
