/**
 * The naming rules shared by the full schema (zod, for the agent) and clusterctl's light check (which starts on
 * every call and so skips loading zod).
 */
export const IDENTIFIER = /^[a-z][a-z0-9-]{0,31}$/;
export const IDENTIFIER_RULE = 'a lower-case name of 1-32 letters, digits or dashes, starting with a letter';
export const PORT_RULE = 'a port in 1-65535';

export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= 65535;
}
