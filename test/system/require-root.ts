import type { ExecutionContext } from 'ava';

/**
 * System tests need root (network namespaces, veth, sysctls, signals to their processes). Without it they FAIL,
 * never skip: a skipped system test would let CI go green without testing anything. Call first in the test:
 * `requireRoot(t);` — it throws, so nothing else runs.
 */
export function requireRoot(t?: ExecutionContext): void {
  const uid = process.getuid?.();
  if (uid === 0) return;
  const message =
    `this system test needs root (it creates network namespaces) and runs as uid ${uid ?? 'unknown'}: ` +
    'run the tests as root, e.g. `sudo npm test`; root-only tests fail rather than skip';
  t?.log(message);
  throw new Error(message);
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}
