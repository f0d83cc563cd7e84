import type { Logger } from './log.js';

const ignore = (): void => undefined;

/**
 * A logger that drops everything, without loading pino: for clusterctl, whose connections log nothing and which
 * starts on every call. Only the methods our components call exist.
 */
export const silentLog = {
  level: 'silent',
  trace: ignore,
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  fatal: ignore,
  child: () => silentLog,
} as unknown as Logger;
