/**
 * One place that turns a stored configuration into a working destination: the provider
 * for its type, with the credentials its fields call for (static keys, the server's
 * default chain, or federation through tapedeck's own OIDC tokens).
 *
 * ```text
 * s3  : s3_api_key+s3_secret → static · role_arn+external_id → AssumeRole · role_arn → web identity · none → default chain
 * gcs : gcs_credentials → service account · gcs_federation → workload identity federation
 * abs : abs_account_key → shared key · client id+secret+tenant → client secret · abs_federation → client assertion
 * ```
 */
import { TapedeckError } from '../errors.js';
import { awsCredentials } from './identity/aws-credentials.js';
import { azureAuth } from './identity/azure-credentials.js';
import { gcpAuth } from './identity/gcp-credentials.js';
import { createAbsDestination } from './providers/abs.js';
import { createGcsDestination } from './providers/gcs.js';
import { createS3Destination } from './providers/s3.js';
import type {
  IdentityEndpoints,
  IdentityTokenSource,
  StorageConfig,
  StorageDestination,
  StorageSecrets,
} from './types.js';

export type DestinationDeps = {
  /** tapedeck's OIDC issuer; needed only by federated configurations. */
  readonly tokens?: IdentityTokenSource;
  readonly endpoints: IdentityEndpoints;
};

function federation(deps: DestinationDeps, name: string) {
  if (deps.tokens === undefined)
    throw new TapedeckError(
      'DESTINATION_AUTH_FAILED',
      `storage ${name}: federated identity is not available on this server`,
    );
  return { tokens: deps.tokens, endpoints: deps.endpoints };
}

function needsFederation(config: StorageConfig): boolean {
  return (
    (config.s3?.roleArn !== undefined && config.s3.externalId === undefined) ||
    config.gcs?.federation !== undefined ||
    config.abs?.federation !== undefined
  );
}

export function createDestination(
  config: StorageConfig,
  secrets: StorageSecrets,
  deps: DestinationDeps,
): StorageDestination {
  const fed = needsFederation(config)
    ? federation(deps, config.name)
    : { tokens: deps.tokens ?? noTokens, endpoints: deps.endpoints };
  switch (config.storageType) {
    case 's3': {
      if (config.s3 === undefined) throw new TypeError('config.s3 is required for s3 storage');
      const credentials = awsCredentials(config.s3, secrets, fed);
      return createS3Destination(config, credentials === undefined ? {} : { credentials });
    }
    case 'gcs':
      return createGcsDestination(config, {
        ...(gcpAuth(config.gcs ?? {}, secrets, fed) ?? {}),
        ...(deps.endpoints.gcpIamCredentialsEndpoint !== undefined
          ? { iamCredentialsEndpoint: deps.endpoints.gcpIamCredentialsEndpoint }
          : {}),
      });
    case 'abs': {
      if (config.abs === undefined) throw new TypeError('config.abs is required for abs storage');
      return createAbsDestination(config, azureAuth(config.abs, secrets, fed));
    }
    case 'local':
      throw new TypeError('local storage is the managed default; it has no destination object');
  }
}

const noTokens: IdentityTokenSource = {
  issuer: '',
  subject: '',
  token: () =>
    Promise.reject(
      new TapedeckError(
        'DESTINATION_AUTH_FAILED',
        'federated identity is not available on this server',
      ),
    ),
};
