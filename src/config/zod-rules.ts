import { z } from 'zod';

/*
 * The zod building blocks every configuration schema of the project shares (node file and definition, SIP proxy,
 * push workers, external DNS), so that every file reports its problems the same way.
 */

/** A strict object whose unknown-key problem lists the keys it knows, so a misspelt key shows the right one. */
export function strictObject<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const known = `a known key (${Object.keys(shape).join(', ')})`;
  return z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? known : undefined) });
}

/** A whole number (not zod's `.int()`, which stops the other checks of the value). */
export const wholeNumber = (message: string) => z.number().refine((value) => Number.isSafeInteger(value), message);

/** A whole number in min..max; the problem says what it is and the range. */
export const wholeInRange = (min: number, max: number, what: string) =>
  z
    .number()
    .refine(
      (value) => Number.isSafeInteger(value) && value >= min && value <= max,
      `${what} (a whole number ${min}-${max})`,
    );
