/** tapedeck's own OIDC identity and the federated cloud credentials built on it. */
export * from './oidc-issuer.js';
export { OIDC_KEYS_SETTING, WORKSPACE_SETTING, type PublicSigningKey } from './key-store.js';
export type { FederationDeps } from './federation-deps.js';
export * from './aws-credentials.js';
export * from './gcp-credentials.js';
export * from './azure-credentials.js';
