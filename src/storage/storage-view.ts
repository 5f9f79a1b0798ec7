/**
 * The public view of a storage configuration: the nested API shape (snake_case, as
 * storage-input.ts reads it) without any secret value. Secrets appear only as `*_set`
 * booleans, plus `auth`, the credential kind in use. Pure.
 *
 * ```text
 * { name, storage_type, bucket, path, access_mode, prefixes, key_template|null, managed,
 *   auth, [created_at], [updated_at],
 *   s3:  aws_s3: { s3_region, s3_custom_endpoint_url, s3_force_path_style, role_arn,
 *                  external_id, sse_kms_key_id, s3_api_key_set, s3_secret_set }
 *   gcs: gcs_project_id, gcs_custom_endpoint_url, gcs_federation|null, gcs_credentials_set,
 *        gcs_client_email (from the key, when it parses)
 *   abs: abs_account_name, abs_custom_endpoint_url, abs_client_id, abs_tenant_id,
 *        abs_federation|null, abs_account_key_set, abs_client_secret_set }
 *
 * auth  s3:  static_keys | assume_role (role_arn + external_id) | web_identity (role_arn)
 *            | default_chain
 *       gcs: service_account | federation | default_chain
 *       abs: account_key | client_secret | federation | default_chain
 *       local: managed
 * ```
 * The managed local storage shows no `bucket` (its root is a server path).
 */
import type { StorageConfig, StorageSecrets } from './types.js';

export type StorageAuth =
  | 'static_keys'
  | 'default_chain'
  | 'assume_role'
  | 'web_identity'
  | 'service_account'
  | 'federation'
  | 'account_key'
  | 'client_secret'
  | 'managed';

export function storageView(
  config: StorageConfig,
  secrets: StorageSecrets,
  extra?: { created_at?: string; updated_at?: string },
): Record<string, unknown> {
  const view: Record<string, unknown> = {
    name: config.name,
    storage_type: config.storageType,
    ...(config.storageType === 'local' ? {} : { bucket: config.bucket }),
    path: config.path,
    access_mode: config.accessMode,
    prefixes: { ...config.prefixes },
    key_template: config.keyTemplate ?? null,
    managed: config.storageType === 'local',
    auth: storageAuth(config, secrets),
  };
  if (config.storageType === 's3') {
    const s3 = config.s3;
    view['aws_s3'] = {
      s3_region: s3?.region ?? null,
      s3_custom_endpoint_url: s3?.endpointUrl ?? null,
      s3_force_path_style: s3?.forcePathStyle ?? false,
      role_arn: s3?.roleArn ?? null,
      external_id: s3?.externalId ?? null,
      sse_kms_key_id: s3?.sseKmsKeyId ?? null,
      s3_api_key_set: isSet(secrets.s3AccessKeyId),
      s3_secret_set: isSet(secrets.s3SecretAccessKey),
    };
  } else if (config.storageType === 'gcs') {
    const gcs = config.gcs;
    const federation = gcs?.federation;
    view['gcs_project_id'] = gcs?.projectId ?? null;
    view['gcs_custom_endpoint_url'] = gcs?.endpointUrl ?? null;
    view['gcs_federation'] =
      federation === undefined
        ? null
        : {
            audience: federation.audience,
            service_account_email: federation.serviceAccountEmail ?? null,
          };
    view['gcs_credentials_set'] = isSet(secrets.gcsCredentials);
    view['gcs_client_email'] = clientEmail(secrets.gcsCredentials);
  } else if (config.storageType === 'abs') {
    const abs = config.abs;
    const federation = abs?.federation;
    view['abs_account_name'] = abs?.accountName ?? null;
    view['abs_custom_endpoint_url'] = abs?.endpointUrl ?? null;
    view['abs_client_id'] = abs?.clientId ?? null;
    view['abs_tenant_id'] = abs?.tenantId ?? null;
    view['abs_federation'] =
      federation === undefined
        ? null
        : { tenant_id: federation.tenantId, client_id: federation.clientId };
    view['abs_account_key_set'] = isSet(secrets.absAccountKey);
    view['abs_client_secret_set'] = isSet(secrets.absClientSecret);
  }
  if (extra?.created_at !== undefined) view['created_at'] = extra.created_at;
  if (extra?.updated_at !== undefined) view['updated_at'] = extra.updated_at;
  return view;
}

/** The credential kind a configuration uses (what `auth` in the view says). */
export function storageAuth(config: StorageConfig, secrets: StorageSecrets): StorageAuth {
  switch (config.storageType) {
    case 'local':
      return 'managed';
    case 's3':
      if (isSet(secrets.s3AccessKeyId) && isSet(secrets.s3SecretAccessKey)) return 'static_keys';
      if (config.s3?.roleArn !== undefined)
        return config.s3.externalId !== undefined ? 'assume_role' : 'web_identity';
      return 'default_chain';
    case 'gcs':
      if (isSet(secrets.gcsCredentials)) return 'service_account';
      return config.gcs?.federation !== undefined ? 'federation' : 'default_chain';
    case 'abs':
      if (isSet(secrets.absAccountKey)) return 'account_key';
      if (isSet(secrets.absClientSecret)) return 'client_secret';
      return config.abs?.federation !== undefined ? 'federation' : 'default_chain';
  }
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}

/** The service account's email from the key JSON (public, not secret), or null. */
function clientEmail(credentials: string | undefined): string | null {
  if (credentials === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(credentials);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const email = (parsed as Record<string, unknown>)['client_email'];
    return typeof email === 'string' && /^[^@\s]{1,128}@[^@\s]{1,255}$/.test(email) ? email : null;
  } catch {
    return null;
  }
}
