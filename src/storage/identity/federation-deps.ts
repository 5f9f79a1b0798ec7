import type { IdentityEndpoints, IdentityTokenSource } from '../types.js';

/**
 * What every federated credential needs: tapedeck's own tokens (the subject proof) and
 * where the clouds' token services are (defaults: the public endpoints).
 */
export type FederationDeps = {
  readonly tokens: IdentityTokenSource;
  readonly endpoints: IdentityEndpoints;
};
