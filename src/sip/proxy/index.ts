/* The stateful proxy core (RFC 3261 section 16) on the transaction layer. */
export type { BranchTarget } from './branch-target.js';
export { NO_CONTACTS, NO_PUSH, type ContactLookup, type LiveContact, type PushHook } from './contact-lookup.js';
export { FlowTokens, flowOf, type Flow } from './flow-token.js';
export { LocalIdentity } from './local-identity.js';
export { hasLooped, loopBranch, loopHash } from './loop-detection.js';
export { ProxyCore, type ProxyCoreOptions, type ProxyTransport } from './proxy-core.js';
export { DEFAULT_PROXY_SETTINGS, type PbxTarget, type ProxySettings } from './settings.js';
