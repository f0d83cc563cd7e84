import { randomBytes } from 'node:crypto';

/*
 * Tags, branches and connection ids must be unique and unguessable (RFC 3261 19.3: at least 32 random bits). One
 * system call per id would cost more than the parse of the message it goes into, so ids are cut from a pool of
 * random bytes refilled 4 KiB at a time.
 */

const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

/** `bytes` random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  if (offset + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const text = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return text;
}

/** A From/To tag: 64 random bits. */
export function newTag(): string {
  return randomHex(8);
}

/** A Via branch with the RFC 3261 magic cookie and 80 random bits. */
export function newBranch(): string {
  return `z9hG4bK${randomHex(10)}`;
}
