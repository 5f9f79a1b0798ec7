/**
 * The external-storage API body (POST create, PUT update) → `StorageConfig` (public) +
 * `StorageSecrets`. Pure (no `node:*`). Every bad field is reported at once, in one line:
 * `STORAGE_CONFIG_INVALID: bucket: must be 3–63 characters; aws_s3.s3_region: required`.
 *
 * Nested form (the documented one):
 * ```text
 * { name, storage_type: s3|gcs|abs, bucket, path?, access_mode?: read_write (default)|write_only,
 *   prefixes?: { audio?, video?, transcript?, metadata? }, key_template?,
 *   aws_s3?: { s3_region, s3_api_key?, s3_secret?, s3_custom_endpoint_url?,
 *              s3_force_path_style?, role_arn?, external_id?, sse_kms_key_id? },
 *   gcs_credentials? (service-account JSON text, or the object), gcs_project_id?,
 *   gcs_custom_endpoint_url?, gcs_federation?: { audience, service_account_email? },
 *   abs_account_name?, abs_account_key?, abs_client_id?, abs_client_secret?, abs_tenant_id?,
 *   abs_custom_endpoint_url?, abs_federation?: { tenant_id, client_id } }
 * ```
 *
 * Legacy flat form (recognised by `provider` without `storage_type`), mapped field by field:
 * ```text
 * provider: s3|gcs|abs|azure     → storage_type (azure → abs)
 * name, bucket, access_mode, key_template, prefixes → the same
 * container (abs)                → bucket
 * path, prefix                   → path
 * region                         → aws_s3.s3_region
 * access_key_id, api_key         → aws_s3.s3_api_key
 * secret_access_key, secret      → aws_s3.s3_secret
 * endpoint, endpoint_url         → aws_s3.s3_custom_endpoint_url | gcs_custom_endpoint_url
 *                                  | abs_custom_endpoint_url (by provider)
 * force_path_style, role_arn, external_id, sse_kms_key_id → aws_s3.s3_force_path_style, …
 * credentials, project_id        → gcs_credentials, gcs_project_id
 * account_name, account_key, client_id, client_secret, tenant_id → abs_account_name, …
 * ```
 * Two aliases of one field (`api_key` and `access_key_id`) are refused; federation exists
 * only in the nested form. Errors name the fields as the caller spelled them.
 *
 * Update (PUT, `existing` given): omitted fields keep their values, secrets included; a
 * field set to `null` is cleared (to switch auth, clear the old credential with `null`);
 * `name` and `storage_type` cannot change. Unknown fields, and fields of another provider,
 * are refused. Warnings (key template, ignored path) come back in `warnings`.
 */
import { TapedeckError } from '../errors.js';
import { checkKeyTemplate } from './key-template.js';
import {
  FIELDS,
  fromLegacy,
  fromNested,
  isRecord,
  Problems,
  toFlat,
} from './storage-input-forms.js';
import type { Provider } from './storage-input-forms.js';
import {
  checkAbsAccountKey,
  checkBucket,
  checkEndpointUrl,
  checkGcsCredentials,
  checkSecretText,
  FIELD_PATTERNS,
  normalizeKeyPath,
} from './storage-input-rules.js';
import { FILE_CATEGORIES, MANAGED_STORAGE_NAME } from './types.js';
import type { StorageConfig, StorageSecrets } from './types.js';

export type ParsedStorageInput = {
  readonly config: StorageConfig;
  readonly secrets: StorageSecrets;
  readonly warnings: readonly string[];
};

/**
 * POST body (create) or PUT body (update: `existing` given; omitted fields keep their
 * values, secrets kept unless replaced; `name` and `storage_type` cannot change). Throws
 * TapedeckError STORAGE_CONFIG_INVALID listing every bad field (`field.path: reason; …`)
 * in one line.
 */
export function parseStorageInput(
  body: unknown,
  existing?: { config: StorageConfig; secrets: StorageSecrets },
  nameFromPath?: string,
): ParsedStorageInput {
  if (!isRecord(body)) throw invalid('body: must be a JSON object');
  if (existing !== undefined && existing.config.storageType === 'local')
    throw invalid(`name: ${existing.config.name} is managed by tapedeck and cannot be changed`);
  const problems = new Problems();
  const legacy = Object.hasOwn(body, 'provider') && !Object.hasOwn(body, 'storage_type');
  const given = legacy ? fromLegacy(body, problems, existing) : fromNested(body, problems);

  // Identity: name and storage_type.
  const givenName = given.get('name');
  const name = existing?.config.name ?? nameFromPath;
  if (givenName !== undefined && givenName !== null && name !== undefined && givenName !== name) {
    const why = existing !== undefined ? 'cannot change' : 'does not match the name in the path';
    problems.add('name', `${why} (${quote(name)})`);
  }
  const givenType = given.get('storage_type');
  if (existing !== undefined && givenType != null && givenType !== existing.config.storageType)
    problems.add('storage_type', `cannot change (${existing.config.storageType})`);

  const flat =
    existing !== undefined ? toFlat(existing.config, existing.secrets) : new Map<string, unknown>();
  for (const [path, value] of given) {
    if (value === null) flat.delete(path);
    else flat.set(path, value);
  }
  if (name !== undefined) flat.set('name', name);
  if (existing !== undefined) flat.set('storage_type', existing.config.storageType);
  return build(flat, problems);
}

/** Validates the merged fields and builds the result. */
function build(flat: ReadonlyMap<string, unknown>, problems: Problems): ParsedStorageInput {
  const values = new Map<string, string | boolean>();
  for (const [path, value] of flat) {
    const kind = FIELDS.get(path)?.kind ?? 'string';
    if (kind === 'boolean') {
      if (typeof value === 'boolean') values.set(path, value);
      else problems.add(path, 'must be true or false');
    } else if (kind === 'json' && isRecord(value)) values.set(path, JSON.stringify(value));
    else if (typeof value !== 'string')
      problems.add(
        path,
        kind === 'json' ? 'must be a string (the JSON text) or an object' : 'must be a string',
      );
    else if (value === '' && path !== 'path')
      problems.add(path, 'must not be empty (omit it, or null to clear it)');
    else values.set(path, value);
  }
  const str = (path: string): string | undefined => {
    const v = values.get(path);
    return typeof v === 'string' ? v : undefined;
  };
  const bool = (path: string): boolean | undefined => {
    const v = values.get(path);
    return typeof v === 'boolean' ? v : undefined;
  };
  const has = (path: string): boolean => flat.has(path);
  const need = (path: string, reason = 'required'): void => {
    if (!has(path)) problems.add(path, reason);
  };
  const pattern = (path: string, key: keyof typeof FIELD_PATTERNS): void => {
    const v = str(path);
    if (v !== undefined && !FIELD_PATTERNS[key].re.test(v))
      problems.add(path, FIELD_PATTERNS[key].reason);
  };
  const check = (path: string, fn: (v: string) => string | undefined): void => {
    const v = str(path);
    const reason = v === undefined ? undefined : fn(v);
    if (reason !== undefined) problems.add(path, reason);
  };
  const n = (path: string): string => problems.name(path);

  // Common fields.
  need('name');
  const name = str('name');
  if (name !== undefined) {
    if (name.toLowerCase() === MANAGED_STORAGE_NAME)
      problems.add('name', `"${MANAGED_STORAGE_NAME}" is reserved for the managed storage`);
    else pattern('name', 'name');
  }
  need('storage_type');
  const rawType = str('storage_type');
  const type: Provider | undefined =
    rawType === 's3' || rawType === 'gcs' || rawType === 'abs' ? rawType : undefined;
  if (rawType !== undefined && type === undefined)
    problems.add('storage_type', 'must be one of s3, gcs, abs');
  need('bucket');
  if (type !== undefined) check('bucket', (v) => checkBucket(type, v));
  let path = '';
  check('path', (v) => {
    const r = normalizeKeyPath(v);
    if (typeof r === 'string') path = r;
    return typeof r === 'string' ? undefined : r.reason;
  });
  const accessMode = str('access_mode') ?? 'read_write';
  if (accessMode !== 'read_write' && accessMode !== 'write_only')
    problems.add('access_mode', 'must be read_write or write_only');
  const prefixes: Partial<Record<(typeof FILE_CATEGORIES)[number], string>> = {};
  for (const c of FILE_CATEGORIES)
    check(`prefixes.${c}`, (v) => {
      const r = normalizeKeyPath(v);
      if (typeof r !== 'string') return r.reason;
      if (r === '') return 'must not be empty (omit it, or null, to use path)';
      prefixes[c] = r;
      return undefined;
    });
  const warnings: string[] = [];
  const keyTemplate = str('key_template');
  if (keyTemplate !== undefined) {
    const t = checkKeyTemplate(keyTemplate);
    if (!t.ok) problems.add('key_template', t.reason);
    else {
      warnings.push(...t.warnings);
      const usesPrefix = t.parts.some((p) => p.kind === 'token' && p.name === 'prefix');
      if (!usesPrefix && (path !== '' || Object.keys(prefixes).length > 0))
        warnings.push(
          'key_template has no {prefix}: path and prefixes are not used in object keys',
        );
    }
  }

  // Fields of another provider.
  if (type !== undefined)
    for (const p of flat.keys()) {
      const owner = FIELDS.get(p)?.provider;
      if (owner !== undefined && owner !== type)
        problems.add(p, `not used by ${n('storage_type')} ${type}`);
    }

  let s3: StorageConfig['s3'];
  let gcs: StorageConfig['gcs'];
  let abs: StorageConfig['abs'];
  const endpoint = (p: string): void => check(p, checkEndpointUrl);
  if (type === 's3') {
    need('aws_s3.s3_region');
    pattern('aws_s3.s3_region', 'region');
    const [key, secret] = ['aws_s3.s3_api_key', 'aws_s3.s3_secret'];
    if (has(key) !== has(secret))
      problems.add(has(key) ? secret : key, `required with ${n(has(key) ? key : secret)}`);
    check(key, checkSecretText);
    check(secret, checkSecretText);
    endpoint('aws_s3.s3_custom_endpoint_url');
    pattern('aws_s3.role_arn', 'roleArn');
    pattern('aws_s3.external_id', 'externalId');
    pattern('aws_s3.sse_kms_key_id', 'kmsKeyId');
    if (has('aws_s3.external_id') && !has('aws_s3.role_arn'))
      problems.add('aws_s3.external_id', `requires ${n('aws_s3.role_arn')}`);
    if (has('aws_s3.role_arn') && (has(key) || has(secret)))
      problems.add(
        'aws_s3.role_arn',
        `cannot be combined with ${n(key)}/${n(secret)} (the role is assumed from the server's own identity, or with tapedeck's OIDC token)`,
      );
    s3 = {
      region: str('aws_s3.s3_region') ?? '',
      ...opt('endpointUrl', str('aws_s3.s3_custom_endpoint_url')),
      ...opt('forcePathStyle', bool('aws_s3.s3_force_path_style')),
      ...opt('roleArn', str('aws_s3.role_arn')),
      ...opt('externalId', str('aws_s3.external_id')),
      ...opt('sseKmsKeyId', str('aws_s3.sse_kms_key_id')),
    };
  } else if (type === 'gcs') {
    const federated = has('gcs_federation.audience') || has('gcs_federation.service_account_email');
    if (has('gcs_credentials') && federated)
      problems.add(
        'gcs_federation',
        `give either ${n('gcs_credentials')} or gcs_federation, not both`,
      );
    else if (!has('gcs_credentials') && !federated)
      problems.add('gcs_credentials', 'required (or gcs_federation)');
    check('gcs_credentials', checkGcsCredentials);
    pattern('gcs_project_id', 'gcpProjectId');
    endpoint('gcs_custom_endpoint_url');
    if (federated) need('gcs_federation.audience');
    pattern('gcs_federation.audience', 'audience');
    pattern('gcs_federation.service_account_email', 'email');
    const audience = str('gcs_federation.audience');
    const email = str('gcs_federation.service_account_email');
    gcs = {
      ...opt('projectId', str('gcs_project_id')),
      ...opt('endpointUrl', str('gcs_custom_endpoint_url')),
      ...(audience !== undefined
        ? { federation: { audience, ...opt('serviceAccountEmail', email) } }
        : {}),
    };
  } else if (type === 'abs') {
    need('abs_account_name');
    pattern('abs_account_name', 'accountName');
    const client = ['abs_client_id', 'abs_client_secret', 'abs_tenant_id'];
    const federation = ['abs_federation.tenant_id', 'abs_federation.client_id'];
    const modes = [['abs_account_key'], client, federation].filter((m) => m.some(has));
    const alternatives = `${n('abs_account_key')}, ${client.map(n).join(' + ')}, or abs_federation`;
    const last = modes.at(-1)?.find(has);
    if (modes.length > 1 && last !== undefined)
      problems.add(last, `give only one of ${alternatives}`);
    else if (modes.length === 0)
      problems.add('abs_account_key', `required (one of ${alternatives})`);
    else
      for (const p of modes[0] ?? [])
        need(p, `required with ${(modes[0] ?? []).filter(has).map(n).join(', ')}`);
    check('abs_account_key', checkAbsAccountKey);
    check('abs_client_secret', checkSecretText);
    pattern('abs_client_id', 'guid');
    pattern('abs_tenant_id', 'tenant');
    pattern('abs_federation.client_id', 'guid');
    pattern('abs_federation.tenant_id', 'tenant');
    endpoint('abs_custom_endpoint_url');
    const fedTenant = str('abs_federation.tenant_id');
    const fedClient = str('abs_federation.client_id');
    abs = {
      accountName: str('abs_account_name') ?? '',
      ...opt('endpointUrl', str('abs_custom_endpoint_url')),
      ...opt('clientId', str('abs_client_id')),
      ...opt('tenantId', str('abs_tenant_id')),
      ...(fedTenant !== undefined && fedClient !== undefined
        ? { federation: { tenantId: fedTenant, clientId: fedClient } }
        : {}),
    };
  }
  problems.throwIfAny();

  const config: StorageConfig = {
    name: name ?? '',
    storageType: type ?? 's3',
    bucket: str('bucket') ?? '',
    path,
    accessMode: accessMode === 'write_only' ? 'write_only' : 'read_write',
    prefixes,
    ...opt('keyTemplate', keyTemplate),
    ...(s3 !== undefined ? { s3 } : {}),
    ...(gcs !== undefined ? { gcs } : {}),
    ...(abs !== undefined ? { abs } : {}),
  };
  const secrets: StorageSecrets = {
    ...opt('s3AccessKeyId', str('aws_s3.s3_api_key')),
    ...opt('s3SecretAccessKey', str('aws_s3.s3_secret')),
    ...opt('gcsCredentials', str('gcs_credentials')),
    ...opt('absAccountKey', str('abs_account_key')),
    ...opt('absClientSecret', str('abs_client_secret')),
  };
  return { config, secrets, warnings };
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function quote(value: string): string {
  return JSON.stringify(value);
}

function invalid(message: string): TapedeckError {
  return new TapedeckError('STORAGE_CONFIG_INVALID', message);
}
