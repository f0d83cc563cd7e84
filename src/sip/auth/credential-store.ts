import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConfigError, formatProblem, type ConfigProblem } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { DomainAuth, LocalDomainAuth } from './config.js';
import { readCredentialsFile, type UserSecrets, type UserTable } from './credentials-file.js';

/** Where the authenticator finds a user's HA1s; a fake in unit tests, the store below in the proxy. */
export interface CredentialLookup {
  lookup(domain: string, username: string): UserSecrets | undefined;
}

export interface ReloadReport {
  /** Files read again, with their user counts. */
  readonly reloaded: readonly { readonly file: string; readonly users: number }[];
  /** Files refused; their domains keep the users they had. */
  readonly failed: readonly { readonly file: string; readonly problems: readonly ConfigProblem[] }[];
}

/** Changes to a file come in bursts (truncate, write, rename): one reload after the burst. */
const DEBOUNCE_MS = 100;

/**
 * The users of every `local` domain, read from their credentials files at start (a bad file stops the start, like
 * any configuration problem) and read again on SIGHUP or when a file changes. A file that has become invalid is
 * refused with an error log naming it and its problems, and its domain keeps the users it had: a typo made while
 * editing never locks every device out.
 */
export class CredentialStore implements CredentialLookup {
  private readonly tables = new Map<string, UserTable>();

  private constructor(
    private readonly domains: readonly LocalDomainAuth[],
    private readonly log: Logger,
  ) {}

  /** Reads every file; throws ConfigError listing the problems of every file that is not valid. */
  static load(domains: Iterable<DomainAuth>, log: Logger): CredentialStore {
    const local = [...domains].filter((d): d is LocalDomainAuth => d.mode === 'local');
    const store = new CredentialStore(local, log);
    const problems: ConfigProblem[] = [];
    for (const domain of local) {
      const read = readCredentialsFile(domain.credentialsFile, domain.realm);
      if (read.ok) store.tables.set(domain.domain, read.value);
      else problems.push(...read.problems);
    }
    if (problems.length > 0) throw new ConfigError('sip auth credentials', problems);
    return store;
  }

  lookup(domain: string, username: string): UserSecrets | undefined {
    return this.tables.get(domain)?.get(username);
  }

  /** How many users a domain has (for logs and tests). */
  userCount(domain: string): number {
    return this.tables.get(domain)?.size ?? 0;
  }

  /** Reads every file again; `trigger` says why, for the log. */
  reload(trigger: string): ReloadReport {
    const reloaded: { file: string; users: number }[] = [];
    const failed: { file: string; problems: readonly ConfigProblem[] }[] = [];
    for (const domain of this.domains) {
      const read = readCredentialsFile(domain.credentialsFile, domain.realm);
      if (read.ok) {
        this.tables.set(domain.domain, read.value);
        reloaded.push({ file: domain.credentialsFile, users: read.value.size });
        this.log.info(
          { file: domain.credentialsFile, domain: domain.domain, users: read.value.size, trigger },
          'credentials reloaded',
        );
      } else {
        failed.push({ file: domain.credentialsFile, problems: read.problems });
        this.log.error(
          {
            file: domain.credentialsFile,
            domain: domain.domain,
            trigger,
            problems: read.problems.map((p) => formatProblem(p).trim()),
            usersKept: this.userCount(domain.domain),
          },
          'credentials file refused, the users read before are kept',
        );
      }
    }
    return { reloaded, failed };
  }

  /**
   * Reloads on `signal` (SIGHUP by default; null for none) and when a credentials file changes. Folders are
   * watched, not files: editors and config management replace a file by renaming a new one over it, which a watch
   * on the old file would never see. Returns a function that stops both.
   */
  watch(options: { signal?: NodeJS.Signals | null } = {}): () => void {
    const signal = options.signal === undefined ? 'SIGHUP' : options.signal;
    let timer: NodeJS.Timeout | undefined;
    const schedule = (trigger: string) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        this.reload(trigger);
      }, DEBOUNCE_MS);
      timer.unref();
    };
    const names = new Map<string, Set<string>>();
    for (const domain of this.domains) {
      const dir = dirname(domain.credentialsFile);
      if (!names.has(dir)) names.set(dir, new Set());
      names.get(dir)!.add(basename(domain.credentialsFile));
    }
    const watchers: FSWatcher[] = [];
    for (const [dir, files] of names) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          // Some platforms give no name: then any change in the folder may be ours.
          if (name === null || files.has(name)) schedule(`file change in ${dir}`);
        });
        watcher.on('error', (error) => this.log.warn({ err: error, dir }, 'cannot watch credentials folder'));
        watchers.push(watcher);
      } catch (error) {
        this.log.warn({ err: error, dir }, 'cannot watch credentials folder; reload with SIGHUP');
      }
    }
    const onSignal = () => this.reload(signal ?? 'signal');
    if (signal) process.on(signal, onSignal);
    return () => {
      if (timer) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
      if (signal) process.off(signal, onSignal);
    };
  }
}
