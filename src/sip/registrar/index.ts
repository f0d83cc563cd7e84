/*
 * The registrar (RFC 3261 10.3, RFC 3327, RFC 5626 instance, RFC 5627 GRUU, RFC 8599 push parameters) with its
 * bindings in the data Redis in Flexisip's record format. See src/sip/README.md, section "registrar/".
 */
export { aorFromInput, aorOf } from './aor.js';
export { PLACEHOLDER_PREFIX, bindingField, grToInstance, instanceToGr, pushKey } from './binding-key.js';
export {
  BindingStore,
  recordKey,
  type ContactWrite,
  type RegisterOrigin,
  type RegisterOutcome,
} from './binding-store.js';
export {
  REGISTRAR_DEFAULTS,
  dataStoreSchema,
  registrarSchema,
  registrarSettings,
  type DataStoreConfig,
  type RegistrarSettings,
} from './config.js';
export {
  INTERNAL_URI_PARAMS,
  isLive,
  parseBinding,
  serializeBinding,
  type ParsedBinding,
  type StoredBinding,
} from './flexisip-contact.js';
export { FlowTable, udpFlowId } from './flows.js';
export { PUSH_URI_PARAMS, pushParamsOf, withoutPushParams, type PushParams } from './push-params.js';
export { SUPPORTED_EXTENSIONS, planRegister, type PlannedContact, type RegisterPlan } from './register-plan.js';
export { byPreference, type RegisteredContact } from './registered-contact.js';
export { PROXY_NODES_KEY, announceProxyNode, readProxyNodes } from './proxy-nodes.js';
export { Registrar, type RegistrarCounters, type RegistrarOptions } from './registrar.js';
export { RegistrationEvents, type RegistrationSubscription } from './registration-events.js';
export { startRegistrar, withRegistrar, type RunningRegistrar } from './start.js';
