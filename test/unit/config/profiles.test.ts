import test from 'ava';
import { FAST_PROFILE_TIMINGS, DEFAULT_TIMINGS } from '../../../src/config/defaults.js';
import { parseDefinition } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';

const definition = (timings: Record<string, number>) => ({
  cluster: 'demo',
  service: { name: 'sips.example.es' },
  timings,
});

test('the fast profile shrinks only the pause allowance and the lease, and satisfies the timing relation', (t) => {
  const changed = Object.entries(FAST_PROFILE_TIMINGS).filter(
    ([key, value]) => DEFAULT_TIMINGS[key as keyof typeof DEFAULT_TIMINGS] !== value,
  );
  t.deepEqual(changed.map(([key]) => key).sort(), ['leaseTtlMs', 'pauseAllowanceMs']);
  t.true(FAST_PROFILE_TIMINGS.pauseAllowanceMs < DEFAULT_TIMINGS.pauseAllowanceMs);
  t.notThrows(() => parseDefinition(definition({ ...FAST_PROFILE_TIMINGS }), 'fast'));
});

test('a lease shorter than the fast profile allows for its pause allowance is refused, naming the relation', (t) => {
  const error = t.throws(() => parseDefinition(definition({ ...FAST_PROFILE_TIMINGS, leaseTtlMs: 1500 }), 'too fast'), {
    instanceOf: ConfigError,
  });
  t.regex(error.message, /timings\.leaseTtlMs: 1500: expected at least .* = 1565 ms \(the timing relation/);
});
