import { z } from 'zod';
import { markPath, problemsFromIssues } from '../../config/problems.js';
import { readYamlChecked, type Checked } from '../../config/yaml-file.js';
import { computeHa1, type DigestAlgorithm } from './digest-algorithms.js';
import { strictObject } from '../../config/zod-rules.js';

/*
 * A domain's credentials file: its users, each with HA1 hashes (so that no password is stored) or, discouraged but
 * allowed, a plain password. HA1 = H(username ":" realm ":" password) in lower-case hex, e.g. for SHA-256:
 *   printf '%s' 'alice:example.com:secret' | sha256sum     (the first field; md5sum for ha1-md5)
 *
 *   realm: example.com            # optional; when given, it must be the domain's realm (the HA1s depend on it)
 *   users:
 *     alice:
 *       ha1-sha256: "4ab9..."      # 64 hex digits; quote it (a hash of digits only would read as a number)
 *       ha1-md5: "0e1f..."         # 32 hex digits
 *     bob:
 *       password: "only where hashes cannot be had"
 *
 * A user with only one hash can authenticate with that algorithm only. Passwords are turned into both hashes when
 * the file is read and are not kept.
 */

const hex = (digits: number) =>
  z
    .string(`${digits} hex digits, in quotes`)
    .regex(new RegExp(`^[0-9a-fA-F]{${digits}}$`), `${digits} hex digits`)
    .transform((value) => value.toLowerCase());

const userSchema = strictObject({
  'ha1-sha256': hex(64).optional(),
  'ha1-md5': hex(32).optional(),
  password: z.string('a password, in quotes').min(1, 'a password of at least one character').optional(),
}).superRefine((user, ctx) => {
  const hashes = user['ha1-sha256'] !== undefined || user['ha1-md5'] !== undefined;
  if (user.password === undefined && !hashes) {
    ctx.addIssue({ code: 'custom', message: 'a password or at least one HA1 (ha1-sha256, ha1-md5)', input: user });
  }
  if (user.password !== undefined && hashes) {
    ctx.addIssue({ code: 'custom', message: 'HA1 hashes or a password, not both', input: user });
  }
});

/** The user part of a SIP URI as a digest username: printable, no space, quote, backslash or colon. */
const USER_NAME = /^[\x21\x23-\x39\x3b-\x5b\x5d-\x7e\u0080-\uffff]{1,128}$/;

const fileSchema = strictObject({
  realm: z.string().optional(),
  users: z.record(
    z.string().regex(USER_NAME, 'a user name of 1-128 printable characters, no space, ", \\ or :'),
    userSchema,
  ),
});

/** A user's HA1 per algorithm it can authenticate with. */
export interface UserSecrets {
  readonly ha1: Readonly<Partial<Record<DigestAlgorithm, string>>>;
}

export type UserTable = ReadonlyMap<string, UserSecrets>;

/**
 * Reads and checks a credentials file for `realm`. Problems name the file and the field (`users.alice.ha1-md5`),
 * and never show a password or a hash: a secret does not belong in a log line.
 */
export function readCredentialsFile(path: string, realm: string): Checked<UserTable> {
  const raw = readYamlChecked(path);
  if (!raw.ok) return { ok: false, problems: raw.problems.map((p) => ({ ...p, path: markPath(path, p.path) })) };
  const parsed = fileSchema.safeParse(raw.value);
  if (!parsed.success) {
    const problems = problemsFromIssues(parsed.error.issues, raw.value, path).map((problem) => ({
      ...problem,
      value: undefined,
      valueIs: 'none' as const,
    }));
    return { ok: false, problems };
  }
  if (parsed.data.realm !== undefined && parsed.data.realm !== realm) {
    return {
      ok: false,
      problems: [
        {
          path: markPath(path, 'realm'),
          value: parsed.data.realm,
          expected: `the realm of its domain, ${JSON.stringify(realm)} (the HA1s were made for another realm)`,
        },
      ],
    };
  }
  const users = new Map<string, UserSecrets>();
  for (const [name, entry] of Object.entries(parsed.data.users)) {
    const ha1: Partial<Record<DigestAlgorithm, string>> =
      entry.password === undefined
        ? { 'SHA-256': entry['ha1-sha256'], MD5: entry['ha1-md5'] }
        : {
            'SHA-256': computeHa1('SHA-256', name, realm, entry.password),
            MD5: computeHa1('MD5', name, realm, entry.password),
          };
    if (ha1['SHA-256'] === undefined) delete ha1['SHA-256'];
    if (ha1.MD5 === undefined) delete ha1.MD5;
    users.set(name, Object.freeze({ ha1: Object.freeze(ha1) }));
  }
  return { ok: true, value: users };
}
