/** How much one message may take. A message over a limit is answered 513 (size) or 400 (headers), or dropped. */
export interface ParseLimits {
  /** Head and body together. 65535 fits any UDP datagram; a stream message larger than this closes the stream. */
  readonly maxMessageBytes: number;
  /** Header lines (after folding is undone). */
  readonly maxHeaders: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = Object.freeze({ maxMessageBytes: 65535, maxHeaders: 128 });
