import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The root logger: one JSON line per event. Secrets are never logged; the paths below catch the places where
 * they could slip in by accident (a Redis URL with a password, a push token, SIP Authorization).
 */
export function createRootLogger(bindings: Record<string, string>, destination?: string): Logger {
  const options = {
    base: bindings,
    level: process.env['STG_LOG_LEVEL'] ?? 'info',
    redact: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization'],
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, pino.destination({ dest: destination, mkdir: true, sync: false }));
  return pino(options);
}
