/*
 * SIP digest authentication for the proxy and the registrar: DigestAuthenticator.check() on the request path, the
 * `auth` configuration section, and the credential files reloaded on SIGHUP or change. See src/sip/README.md.
 */
import type { Logger } from '../../log.js';
import { ChallengeTags } from './challenge-tag.js';
import type { SipAuthConfig } from './config.js';
import { CredentialStore } from './credential-store.js';
import { DigestAuthenticator } from './digest-authenticator.js';

export { ChallengeTags } from './challenge-tag.js';
export {
  resolveSipAuthConfig,
  sipAuthConfigSchema,
  type DomainAuth,
  type LocalDomainAuth,
  type PassThroughDomainAuth,
  type SipAuthConfig,
} from './config.js';
export { CredentialStore, type CredentialLookup, type ReloadReport } from './credential-store.js';
export { readCredentialsFile, type UserSecrets, type UserTable } from './credentials-file.js';
export { DIGEST_ALGORITHMS, computeHa1, type DigestAlgorithm } from './digest-algorithms.js';
export {
  DigestAuthenticator,
  type AuthClient,
  type AuthOutcome,
  type DigestAuthenticatorOptions,
} from './digest-authenticator.js';
export {
  AUTH_FAILED,
  AUTH_FAILURE_REASONS,
  FAIL2BAN_FAILREGEX,
  ROUTINE_REASONS,
  type AuthFailureReason,
} from './failure-log.js';
export { domainOfRequest, type DomainSelector } from './identity.js';
export { removeOwnCredentials } from './select-credentials.js';
export { RequestGuard, startRequestGuard, type RequestGuardOptions } from './request-guard.js';

export interface SipAuth {
  readonly authenticator: DigestAuthenticator;
  readonly credentials: CredentialStore;
  /** The To tags of the answers given, so that the ACK of a 407 given without a transaction is recognised. */
  readonly tags: ChallengeTags;
  /** Starts reloading the credential files on SIGHUP and on change; returns a function that stops it. */
  watch(): () => void;
}

/**
 * Everything the proxy needs from its `auth` section: reads every credentials file (throws ConfigError naming each
 * bad one, so that the proxy refuses to start) and builds the authenticator. `log` is the component logger.
 */
export function startSipAuth(config: SipAuthConfig, log: Logger): SipAuth {
  const credentials = CredentialStore.load(config.domains.values(), log);
  const tags = new ChallengeTags();
  const authenticator = new DigestAuthenticator({
    config,
    credentials,
    log,
    answerTag: (request) => tags.tagFor(request),
  });
  return { authenticator, credentials, tags, watch: () => credentials.watch() };
}
